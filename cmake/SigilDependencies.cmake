find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
if(SIGIL_BUILD_TESTS)
  find_package(GTest 1.12 CONFIG REQUIRED)
endif()
if(SIGIL_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# gRPC and protobuf: the server, the agent and the Workload API client. Debian ships no
# protobuf CMake config, so protobuf comes through CMake's module.
find_package(Protobuf 3.21 REQUIRED)
find_package(gRPC 1.51 CONFIG REQUIRED)

# sigil_proto_library(NAME PROTO_DIR dir PROTOS a.proto ... [DEPS lib...]): generated C++ for
# messages and gRPC services, compiled once into a static library. Generated files stay in the
# build tree.
function(sigil_proto_library name)
  cmake_parse_arguments(ARG "" "PROTO_DIR" "PROTOS;DEPS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out_dir})
  set(sources)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(stem ${proto} NAME_WE)
    get_filename_component(rel_dir ${proto} DIRECTORY)
    if(rel_dir)
      set(stem ${rel_dir}/${stem})
    endif()
    set(generated ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h ${out_dir}/${stem}.grpc.pb.cc
                  ${out_dir}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${generated}
      COMMAND protobuf::protoc --proto_path=${ARG_PROTO_DIR} --cpp_out=${out_dir}
              --grpc_out=${out_dir}
              --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
              ${ARG_PROTO_DIR}/${proto}
      DEPENDS ${ARG_PROTO_DIR}/${proto}
      COMMENT "Generating C++ for ${proto}")
    list(APPEND sources ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${name} PUBLIC gRPC::grpc++ protobuf::libprotobuf ${ARG_DEPS})
endfunction()
