# Unit tests of the masking module; included by tests/CMakeLists.txt.
# The AttributeValue validator is shared with tests/fuzz/attribute_value_fuzz.
add_library(dynaudit_masking_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/av_validator.cpp)
target_include_directories(dynaudit_masking_test_support PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(dynaudit_masking_test_support PUBLIC dynaudit_masking)

dynaudit_unit_test(masking_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_methods.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_paths.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_responses.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_pagination.cpp
  LIBS dynaudit_masking dynaudit_masking_test_support)
