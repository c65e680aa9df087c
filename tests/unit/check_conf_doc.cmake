# CONFIGURATION.md must be what weir-conf-doc prints from the property
# table: regenerate it with `build/framework/runtime/weir-conf-doc >
# CONFIGURATION.md` after changing conf_props.c.
execute_process(COMMAND ${DOC_TOOL} OUTPUT_VARIABLE generated
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "weir-conf-doc failed: ${rc}")
endif()
file(READ ${DOC_FILE} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "CONFIGURATION.md is out of date: run "
    "'build/framework/runtime/weir-conf-doc > CONFIGURATION.md'")
endif()
