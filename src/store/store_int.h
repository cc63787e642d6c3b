/* store_int.h — private to src/store: the migration list and the backend
 * vtable that store.c dispatches through. */
#ifndef WS_STORE_INT_H
#define WS_STORE_INT_H

#include "store/store.h"

typedef struct store_migration {
    int version;
    const char *name;
    const char *sql; /* neutral dialect, see migrations.c */
} store_migration;

extern const store_migration store_migrations[];
extern const int store_migration_count;

#endif
