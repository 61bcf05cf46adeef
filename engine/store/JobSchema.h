// The job database's schema and its ladder of upgrades (docs/engine.md, "Stored state").
// PRAGMA user_version is the schema version: 0 is a new database, Current is what this build
// writes. Each change is a new step migrateToV<N>; an old step is never edited.
#pragma once

#include <QSqlDatabase>
#include <QString>

namespace ferry::schema {

constexpr int Current = 3;

int version(const QSqlDatabase &db);   // PRAGMA user_version, -1 if it cannot be read

// Creates the current schema in a new database, in one transaction.
bool create(QSqlDatabase &db, int applicationId, QString *error);

// Runs every step from `from` + 1 up to Current in ONE transaction and sets user_version; on any
// failure rolls everything back, so the file is as it was, and says which step failed.
bool upgrade(QSqlDatabase &db, int from, QString *error);

} // namespace ferry::schema
