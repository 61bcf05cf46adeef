#include "Translations.h"

#include <QCoreApplication>
#include <QLocale>
#include <QTranslator>

namespace ferry {

bool installTranslations(QCoreApplication *app)
{
    auto *translator = new QTranslator(app);
    const QString dir = QStringLiteral(":/ferry/i18n");
    if (translator->load(QLocale(), QStringLiteral("ferry"), QStringLiteral("_"), dir)
        || translator->load(QStringLiteral("ferry_en"), dir)) {
        app->installTranslator(translator);
        return true;
    }
    delete translator;
    return false;
}

} // namespace ferry
