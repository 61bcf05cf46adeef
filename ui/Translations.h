// Ferry's translations, compiled into the program (resources/translations/*.ts). English is one
// of them too: it supplies the singular and plural forms of the "%n item(s)" messages.
#pragma once

class QCoreApplication;

namespace ferry {
// Installs the translation for the user's locale, else English. True when one was installed.
bool installTranslations(QCoreApplication *app);
}
