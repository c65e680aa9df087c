# Topology, processor API, DSL and test driver.
weir_add_test(NAME test_topology SOURCES test_topology.c)

