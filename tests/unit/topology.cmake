# Topology, processor API, per-task execution, DSL and test driver.
weir_add_test(NAME test_topology SOURCES test_topology.c)
weir_add_test(NAME test_topology_task SOURCES test_topology_task.c)
target_include_directories(test_topology_task PRIVATE
  ${CMAKE_SOURCE_DIR}/framework/topology)
weir_add_test(NAME test_test_driver SOURCES test_test_driver.c)
weir_add_test(NAME test_dsl SOURCES test_dsl.c test_dsl_support.c)
weir_add_test(NAME test_dsl_process SOURCES test_dsl_process.c test_dsl_support.c)
weir_add_test(NAME test_dsl_window SOURCES test_dsl_window.c)
weir_add_test(NAME test_dsl_session
  SOURCES test_dsl_session.c test_dsl_windows_support.c)
weir_add_test(NAME test_dsl_sliding
  SOURCES test_dsl_sliding.c test_dsl_windows_support.c)
