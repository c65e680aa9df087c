# Runtime unit tests (configuration; the runtime's Kafka paths are tested
# in tests/integration against the real broker).
weir_add_test(NAME test_conf SOURCES test_conf.c LIBS PkgConfig::RDKAFKA)
add_test(NAME test_conf_reference_is_current
  COMMAND ${CMAKE_COMMAND}
          -DDOC_TOOL=$<TARGET_FILE:weir-conf-doc>
          -DDOC_FILE=${CMAKE_SOURCE_DIR}/CONFIGURATION.md
          -P ${CMAKE_CURRENT_SOURCE_DIR}/check_conf_doc.cmake)
set_tests_properties(test_conf_reference_is_current PROPERTIES LABELS unit)
weir_add_test(NAME test_watermark SOURCES test_watermark.c)
weir_add_test(NAME test_http SOURCES test_http.c
  LIBS PkgConfig::CURL PkgConfig::MHD)
weir_add_test(NAME test_commit_meta SOURCES test_commit_meta.c)
weir_add_test(NAME test_standby_plan SOURCES test_standby_plan.c LIBS PkgConfig::RDKAFKA)
weir_add_test(NAME test_host SOURCES test_host.c)
