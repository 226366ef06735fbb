# kernel-stubs/net/net.cmake: the network protocol library's sources, for
# whatever builds it (tests/net, tests/fuzz, the net server). The library
# includes kstring.h from kernel-stubs/include and nothing else of the
# system; its header is netstack.h.
set(NET_DIR ${CMAKE_CURRENT_LIST_DIR})
set(NET_SOURCES
    ${NET_DIR}/arp.c ${NET_DIR}/checksum.c ${NET_DIR}/eth.c ${NET_DIR}/icmp.c
    ${NET_DIR}/ipv4.c ${NET_DIR}/ipv4_text.c ${NET_DIR}/stack.c ${NET_DIR}/udp.c
    ${NET_DIR}/wait.c)
set(NET_INCLUDE_DIRS ${NET_DIR} ${NET_DIR}/../include)
