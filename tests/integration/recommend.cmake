# The recommendation application end to end: on the embedded mock cluster
# (no services needed) and on the harness's real broker and registry.
weir_add_test(NAME test_recommend_embedded
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_embedded.c
          ${CMAKE_CURRENT_LIST_DIR}/test_recommend_run.c
  LABEL integration TIMEOUT 300
  LIBS recommendation_test PkgConfig::RDKAFKA)
weir_add_test(NAME test_recommend_e2e
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_e2e.c
          ${CMAKE_CURRENT_LIST_DIR}/test_recommend_run.c
  LABEL integration FIXTURES kafka registry TIMEOUT 900
  LIBS recommendation_test PkgConfig::RDKAFKA)
# Wire compatibility: the workload from an independent Python client.
weir_add_test(NAME test_recommend_python
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_python.c
          ${CMAKE_CURRENT_LIST_DIR}/test_recommend_run.c
  LABEL integration FIXTURES kafka registry python TIMEOUT 900
  LIBS recommendation_test PkgConfig::RDKAFKA)
target_compile_definitions(test_recommend_python PRIVATE
  WEIR_PYTHON="${WEIR_TEST_PYTHON_ENV}/bin/python")

# The binaries as a user runs them (the embedded demo included).
weir_add_test(NAME test_recommend_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_cli.c
  LABEL integration TIMEOUT 300)
target_compile_definitions(test_recommend_cli PRIVATE
  REC_CLI="$<TARGET_FILE:weir-recommend>"
  REC_DATAGEN="$<TARGET_FILE:weir-datagen>")
add_dependencies(test_recommend_cli weir-recommend weir-datagen)
