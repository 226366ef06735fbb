# idlc_generate: compiles service descriptions with idlc at build time.
#
#   idlc_generate(<target> FILES <a.idl>... [IMPORT_DIRS <dir>...] [OUTPUT_DIR <dir>])
#
# For each FILE, idlc writes <name>.h and <name>.c into OUTPUT_DIR (default:
# ${CMAKE_CURRENT_BINARY_DIR}/idlc/<target>), and only for the files named
# (idlc --per-file): a description that FILE imports is compiled by the
# target that names it, and its header is found on the include path that
# target passes on, so several targets can share one imported description.
# The .c files become sources of <target>; OUTPUT_DIR becomes a PUBLIC include
# directory of <target>, which links idlc::wire (idl_wire.h). idlc's depfile
# lists every imported .idl, so editing one regenerates what depends on it.
# IMPORT_DIRS are searched for imports (idlc -I), after the importing file's
# own directory. Works with the Ninja and Makefile generators.
#
# Part of the idlc CMake package (find_package(idlc)); idlc's own build uses
# it too, with idlc::idlc the compiler it builds.
include_guard(GLOBAL)

function(idlc_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIR" "FILES;IMPORT_DIRS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "idlc_generate: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "idlc_generate: no target called '${target}'")
  endif()
  if(NOT ARG_FILES)
    message(FATAL_ERROR "idlc_generate(${target}): no FILES")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/idlc/${target})
  endif()
  get_filename_component(out_dir ${ARG_OUTPUT_DIR} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_BINARY_DIR})
  file(MAKE_DIRECTORY ${out_dir})
  set(import_flags)
  foreach(dir IN LISTS ARG_IMPORT_DIRS)
    get_filename_component(dir ${dir} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND import_flags -I ${dir})
  endforeach()
  foreach(idl IN LISTS ARG_FILES)
    get_filename_component(idl_path ${idl} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    get_filename_component(name ${idl} NAME_WE)
    set(header ${out_dir}/${name}.h)
    set(source ${out_dir}/${name}.c)
    add_custom_command(
      OUTPUT ${header} ${source}
      COMMAND idlc::idlc --per-file --emit=header,source ${import_flags} -o ${out_dir}
              --depfile ${out_dir}/${name}.d ${idl_path}
      DEPENDS ${idl_path} idlc::idlc
      DEPFILE ${out_dir}/${name}.d
      COMMENT "idlc: ${idl}"
      VERBATIM)
    target_sources(${target} PRIVATE ${source} ${header})
  endforeach()
  target_include_directories(${target} PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC idlc::wire)
endfunction()
