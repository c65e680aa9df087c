/*
 * serde_int.h: helpers shared by the serde and registry sources.
 */
#ifndef WEIR_SERDE_INT_H
#define WEIR_SERDE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <weir/serde.h>

/* The opaque and ops a serde was made with (NULL for a NULL serde). */
void *weir__serde_opaque(const weir_serde_t *serde);
const weir_serde_ops_t *weir__serde_ops(const weir_serde_t *serde);

/* Offset of the first byte that is not strict UTF-8, or len when valid. */
size_t weir__utf8_check(const unsigned char *s, size_t len);

/* Big-endian integers. */
void weir__be64_put(unsigned char *p, uint64_t v);
uint64_t weir__be64_get(const unsigned char *p);

#endif /* WEIR_SERDE_INT_H */
