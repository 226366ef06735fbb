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
# own directory. Works with the Ninja and Makefile generators. Call it in the
# directory that defines <target>; mistakes (a misspelt keyword, a missing
# .idl, two FILES of one name) stop the configure step.
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
  # A target takes generated sources only in the directory that defines it
  # (add_custom_command's rule is not seen from elsewhere): say so now, not
  # with a missing file at build time.
  get_target_property(target_dir ${target} SOURCE_DIR)
  if(NOT target_dir STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    message(FATAL_ERROR "idlc_generate(${target}): call it in ${target_dir}, where "
                        "'${target}' is defined, not in ${CMAKE_CURRENT_SOURCE_DIR}")
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
    # The name idlc gives the outputs: the file's name less a final ".idl"
    # (base_name in compiler/load.c), so fs.v2.idl writes fs.v2.h; NAME_WE
    # would cut at the first dot and expect fs.h.
    get_filename_component(name ${idl} NAME)
    string(REGEX REPLACE "(.)\\.idl$" "\\1" name "${name}")
    # FILES takes every word up to the next keyword, so a misspelt keyword
    # (IMPORT_DIR) would land here: refuse what is no .idl file now.
    if(NOT idl MATCHES "\\.idl$")
      message(FATAL_ERROR "idlc_generate(${target}): '${idl}' in FILES is not a .idl file "
                          "(the keywords are FILES, IMPORT_DIRS and OUTPUT_DIR)")
    endif()
    if(NOT EXISTS ${idl_path})
      message(FATAL_ERROR "idlc_generate(${target}): ${idl_path} does not exist")
    endif()
    # Two files of one name would write the same <name>.h and <name>.c.
    get_property(had TARGET ${target} PROPERTY IDLC_GENERATED_${name})
    if(had AND NOT had STREQUAL idl_path)
      message(FATAL_ERROR "idlc_generate(${target}): ${had} and ${idl_path} would both "
                          "write ${name}.h; rename one, or give it a target of its own")
    endif()
    if(had)
      continue() # already generated for this target
    endif()
    set_property(TARGET ${target} PROPERTY IDLC_GENERATED_${name} ${idl_path})
    set(header ${out_dir}/${name}.h)
    set(source ${out_dir}/${name}.c)
    # idlc's depfile names files by absolute path. Ninja takes it only as
    # CMP0116 NEW makes it (paths relative to the build directory); under
    # the caller's own policy, OLD before cmake_minimum_required 3.20, Ninja
    # finds no match and runs idlc and the compiler again on every build.
    # add_custom_command records the policy, so set it for this call alone.
    cmake_policy(PUSH)
    if(POLICY CMP0116)
      cmake_policy(SET CMP0116 NEW)
    endif()
    add_custom_command(
      OUTPUT ${header} ${source}
      COMMAND idlc::idlc --per-file --emit=header,source ${import_flags} -o ${out_dir}
              --depfile ${out_dir}/${name}.d ${idl_path}
      DEPENDS ${idl_path} idlc::idlc
      DEPFILE ${out_dir}/${name}.d
      COMMENT "idlc: ${idl}"
      VERBATIM)
    cmake_policy(POP)
    target_sources(${target} PRIVATE ${source} ${header})
  endforeach()
  target_include_directories(${target} PUBLIC ${out_dir})
  # What target_link_libraries(PUBLIC idlc::wire) would do, without calling
  # it: CMake refuses its keyword signature on a target that has used the
  # plain one (target_link_libraries(t lib)), and the plain one on a target
  # that has used a keyword, so either call would break one of the styles.
  set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES idlc::wire)
  set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES idlc::wire)
endfunction()
