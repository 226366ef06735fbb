# kernel-stubs/fat/fat.cmake: the FAT32 library's sources, for whatever
# builds it (tests/fat, tests/fuzz, the fs server). The library includes
# kstring.h from kernel-stubs/include and nothing else of the system.
set(FAT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(FAT_SOURCES
    ${FAT_DIR}/cache.c ${FAT_DIR}/dir.c ${FAT_DIR}/file.c ${FAT_DIR}/fsinfo.c ${FAT_DIR}/mount.c
    ${FAT_DIR}/name.c ${FAT_DIR}/namei.c ${FAT_DIR}/path.c ${FAT_DIR}/readdir.c
    ${FAT_DIR}/table.c ${FAT_DIR}/time.c)
set(FAT_INCLUDE_DIRS ${FAT_DIR} ${FAT_DIR}/../include)
