# Warnings and sanitizers for the project's own targets. Third-party headers come in as
# system includes, so their warnings stay out of our build log.
add_library(sigil_options INTERFACE)
target_compile_options(sigil_options INTERFACE -Wall -Wextra -Wno-missing-field-initializers)
if(SIGIL_SANITIZE)
  target_compile_options(sigil_options INTERFACE -fsanitize=address,undefined
                                                 -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sigil_options INTERFACE -fsanitize=address,undefined)
endif()

# sigil_test(NAME SOURCES... LIBS ...): a GoogleTest executable registered with CTest.
function(sigil_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT SIGIL_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} sigil_options GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
endfunction()

# Adds every immediate subfolder of the current source folder that has a CMakeLists.txt, in
# name order, so that a new module needs no edit to its parent's build file.
function(sigil_add_subdirectories)
  file(GLOB lists RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt)
  list(SORT lists)
  foreach(list_file ${lists})
    get_filename_component(dir ${list_file} DIRECTORY)
    add_subdirectory(${dir})
  endforeach()
endfunction()
