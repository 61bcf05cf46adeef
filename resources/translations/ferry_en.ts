<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
  <context>
    <name>ferry::JobGeneralTab</name>
    <message numerus="yes">
      <source>%1 of %2; %3 of %n file(s)</source>
      <translation>
        <numerusform>%1 of %2; %3 of %n file</numerusform>
        <numerusform>%1 of %2; %3 of %n files</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ferry::JobListModel</name>
    <message numerus="yes">
      <source>%n s</source>
      <comment>time left in seconds</comment>
      <translation>
        <numerusform>%n s</numerusform>
        <numerusform>%n s</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n min</source>
      <comment>time left in minutes</comment>
      <translation>
        <numerusform>%n min</numerusform>
        <numerusform>%n min</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n h</source>
      <comment>time left in hours</comment>
      <translation>
        <numerusform>%n h</numerusform>
        <numerusform>%n h</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n day(s)</source>
      <comment>time left in days</comment>
      <translation>
        <numerusform>%n day</numerusform>
        <numerusform>%n days</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ferry::JobTransferTab</name>
    <message numerus="yes">
      <source>%n second(s)</source>
      <translation>
        <numerusform>%n second</numerusform>
        <numerusform>%n seconds</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n day(s)</source>
      <translation>
        <numerusform>%n day</numerusform>
        <numerusform>%n days</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n hour(s)</source>
      <translation>
        <numerusform>%n hour</numerusform>
        <numerusform>%n hours</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n minute(s)</source>
      <translation>
        <numerusform>%n minute</numerusform>
        <numerusform>%n minutes</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ferry::MainWindow</name>
    <message numerus="yes">
      <source>%n job(s)</source>
      <translation>
        <numerusform>%n job</numerusform>
        <numerusform>%n jobs</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n active</source>
      <translation>
        <numerusform>%n active</numerusform>
        <numerusform>%n active</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n download(s) are running. Quit anyway? They continue when Ferry starts again.</source>
      <translation>
        <numerusform>%n download is running. Quit anyway? It continues when Ferry starts again.</numerusform>
        <numerusform>%n downloads are running. Quit anyway? They continue when Ferry starts again.</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>Queued %n download(s)</source>
      <translation>
        <numerusform>Queued %n download</numerusform>
        <numerusform>Queued %n downloads</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ferry::NewJobDialog</name>
    <message numerus="yes">
      <source>%n download(s)</source>
      <translation>
        <numerusform>%n download</numerusform>
        <numerusform>%n downloads</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%n link(s)</source>
      <translation>
        <numerusform>%n link</numerusform>
        <numerusform>%n links</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>%1 (and %n more line(s) with a problem)</source>
      <translation>
        <numerusform>%1 (and %n more line with a problem)</numerusform>
        <numerusform>%1 (and %n more lines with a problem)</numerusform>
      </translation>
    </message>
  </context>
  <context>
    <name>ferry::TrayIcon</name>
    <message numerus="yes">
      <source>Ferry: %n active download(s), %1 of %2</source>
      <translation>
        <numerusform>Ferry: %n active download, %1 of %2</numerusform>
        <numerusform>Ferry: %n active downloads, %1 of %2</numerusform>
      </translation>
    </message>
    <message numerus="yes">
      <source>Ferry: %n active download(s)</source>
      <translation>
        <numerusform>Ferry: %n active download</numerusform>
        <numerusform>Ferry: %n active downloads</numerusform>
      </translation>
    </message>
  </context>
</TS>