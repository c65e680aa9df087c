# statestore unit tests (issue 4), included by tests/unit/CMakeLists.txt.
weir_add_test(NAME test_store_kv SOURCES test_store_kv.c)
weir_add_test(NAME test_store_window SOURCES test_store_window.c)
weir_add_test(NAME test_store_rocksdb SOURCES test_store_rocksdb.c TIMEOUT 180)
weir_add_test(NAME test_row_cache SOURCES test_row_cache.c)
