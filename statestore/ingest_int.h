/*
 * ingest_int.h: restore through sorted SST files (restore_ingest.c).
 */
#ifndef WEIR_INGEST_INT_H
#define WEIR_INGEST_INT_H

#include <rocksdb/c.h>

#include "store_int.h"

typedef struct weir__ingest_s weir__ingest_t;

/* A buffer that holds about @p limit bytes of records before a flush. */
weir__ingest_t *weir__ingest_new(size_t limit);
void weir__ingest_destroy(weir__ingest_t *ing);

/* Copies records in (changelog order). NOMEM on failure. */
weir_error_t *weir__ingest_add(weir__ingest_t *ing, const char *store,
                               const weir_changelog_record_t *recs, size_t n);

/* True once the buffer holds its limit: time to flush. */
bool weir__ingest_full(const weir__ingest_t *ing);

/* Records buffered. */
size_t weir__ingest_count(const weir__ingest_t *ing);

/*
 * Sorts the buffered records (a key's last record wins), writes them with
 * the extra key/value (the position, which must sort before every data
 * key) into one SST file in @p dir and ingests it into @p db atomically;
 * empties the buffer. Data keys get the one-byte namespace @p ns.
 */
weir_error_t *weir__ingest_flush(weir__ingest_t *ing, rocksdb_t *db,
                                 const rocksdb_options_t *opts,
                                 const char *dir, const char *store, char ns,
                                 const char *extra_key, size_t extra_klen,
                                 const char *extra_val, size_t extra_vlen);

#endif /* WEIR_INGEST_INT_H */
