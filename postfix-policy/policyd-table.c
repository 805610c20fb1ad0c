/* policyd-table.c: a small chained hash table keyed by strings.  It holds
   the per-user state cache, counter deltas and the users with held mail;
   sizes are in the thousands at most, so it doubles when full and never
   shrinks. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/ms-alloc.h"
#include "policyd-table.h"

struct table_entry {
	struct table_entry *next;
	char *key;
	/* value_size bytes follow, aligned for any type */
	long double value[];
};

struct policyd_table {
	struct table_entry **buckets;
	size_t size, count, value_size;
};

static size_t table_hash(const char *key)
{
	size_t hash = 5381;

	while (*key != '\0')
		hash = hash * 33 + (unsigned char)*key++;
	return hash;
}

struct policyd_table *policyd_table_create(size_t value_size)
{
	struct policyd_table *table = ms_xcalloc(1, sizeof(*table));

	table->size = 64;
	table->value_size = value_size;
	table->buckets = ms_xcalloc(table->size, sizeof(*table->buckets));
	return table;
}

void policyd_table_destroy(struct policyd_table **table)
{
	struct table_entry *entry, *next;
	size_t i;

	if (*table == NULL)
		return;
	for (i = 0; i < (*table)->size; i++) {
		for (entry = (*table)->buckets[i]; entry != NULL; entry = next) {
			next = entry->next;
			free(entry->key);
			free(entry);
		}
	}
	free((*table)->buckets);
	free(*table);
	*table = NULL;
}

void *policyd_table_find(struct policyd_table *table, const char *key)
{
	struct table_entry *entry;

	entry = table->buckets[table_hash(key) % table->size];
	for (; entry != NULL; entry = entry->next) {
		if (strcmp(entry->key, key) == 0)
			return entry->value;
	}
	return NULL;
}

static void table_grow(struct policyd_table *table)
{
	struct table_entry **old = table->buckets, *entry, *next;
	size_t i, old_size = table->size;

	table->size *= 2;
	table->buckets = ms_xcalloc(table->size, sizeof(*table->buckets));
	for (i = 0; i < old_size; i++) {
		for (entry = old[i]; entry != NULL; entry = next) {
			size_t b = table_hash(entry->key) % table->size;

			next = entry->next;
			entry->next = table->buckets[b];
			table->buckets[b] = entry;
		}
	}
	free(old);
}

void *policyd_table_get(struct policyd_table *table, const char *key)
{
	struct table_entry *entry;
	void *value;
	size_t b;

	if ((value = policyd_table_find(table, key)) != NULL)
		return value;
	if (table->count >= table->size)
		table_grow(table);
	entry = ms_xcalloc(1, sizeof(*entry) + table->value_size);
	entry->key = ms_xstrdup(key);
	b = table_hash(key) % table->size;
	entry->next = table->buckets[b];
	table->buckets[b] = entry;
	table->count++;
	return entry->value;
}

void policyd_table_walk(struct policyd_table *table,
			bool (*cb)(const char *key, void *value, void *ctx),
			void *ctx)
{
	struct table_entry **pos, *entry;
	size_t i;

	for (i = 0; i < table->size; i++) {
		for (pos = &table->buckets[i]; (entry = *pos) != NULL;) {
			if (!cb(entry->key, entry->value, ctx)) {
				pos = &entry->next;
				continue;
			}
			*pos = entry->next;
			free(entry->key);
			free(entry);
			table->count--;
		}
	}
}

static bool table_match_key(const char *key, void *value, void *ctx)
{
	return strcmp(key, ctx) == 0;
}

void policyd_table_remove(struct policyd_table *table, const char *key)
{
	policyd_table_walk(table, table_match_key, (void *)key);
}

unsigned int policyd_table_count(const struct policyd_table *table)
{
	return (unsigned int)table->count;
}
