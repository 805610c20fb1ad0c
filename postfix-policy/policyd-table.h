#ifndef POLICYD_TABLE_H
#define POLICYD_TABLE_H

/* A string-keyed hash table owning its keys; values are fixed-size blobs
   allocated with the entry, zeroed.  A value stays where it is until its
   entry is removed. */

#include <stdbool.h>
#include <stddef.h>

struct policyd_table *policyd_table_create(size_t value_size);
/* Frees the table and sets *table NULL; NULL-tolerant. */
void policyd_table_destroy(struct policyd_table **table);
/* The value of key, or NULL. */
void *policyd_table_find(struct policyd_table *table, const char *key);
/* The value of key, created zeroed if missing. */
void *policyd_table_get(struct policyd_table *table, const char *key);
void policyd_table_remove(struct policyd_table *table, const char *key);
unsigned int policyd_table_count(const struct policyd_table *table);
/* Calls cb for each entry; cb returns true to remove the entry. */
void policyd_table_walk(struct policyd_table *table,
			bool (*cb)(const char *key, void *value, void *ctx),
			void *ctx);

#endif
