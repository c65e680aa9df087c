/*
 * mock_int.h: finding the embedded mock cluster an app talks to.
 */
#ifndef WEIR_MOCK_INT_H
#define WEIR_MOCK_INT_H

#include <weir/mock.h>

/* The live mock cluster of this process with exactly these bootstrap
 * servers, or NULL. */
weir_mock_cluster_t *weir__mock_find(const char *bootstraps);

#endif /* WEIR_MOCK_INT_H */
