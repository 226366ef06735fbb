#!/usr/bin/env python3
"""Writes the seeds of fuzz_net.c (tests/fuzz/corpus_net is its committed output).

Each seed is [u8 mode] then records [u8 control][u16 length][frame], frames
built here with checksums computed here, as a stack on the network would
send them to 10.0.2.15 (MAC 52:54:00:12:34:56):

    python3 tests/fuzz/gen_net_seeds.py tests/fuzz/corpus_net
"""
import os
import struct
import sys

OUR_MAC = bytes.fromhex('525400123456')
GW_MAC = bytes.fromhex('52550a000202')
PEER_MAC = bytes.fromhex('020000000007')
WAIT_MAC = bytes.fromhex('52550a000203')
BCAST = b'\xff' * 6
OUR_IP = bytes([10, 0, 2, 15])
GW_IP = bytes([10, 0, 2, 2])
PEER_IP = bytes([10, 0, 2, 7])
WAIT_IP = bytes([10, 0, 2, 3])
FAR_IP = bytes([192, 0, 2, 33])


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def eth(dst, src, kind, body):
    return dst + src + struct.pack('!H', kind) + body


def arp(op, sha, spa, tha, tpa):
    body = struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa
    return eth(BCAST if op == 1 else OUR_MAC, sha, 0x0806, body)


def ipv4(src, dst, proto, payload, options=b'', eth_src=PEER_MAC, eth_dst=OUR_MAC):
    ihl = 5 + len(options) // 4
    header = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(payload), 0x1234,
                         0x4000, 64, proto, 0, src, dst) + options
    header = header[:10] + struct.pack('!H', checksum(header)) + header[12:]
    return eth(eth_dst, eth_src, 0x0800, header + payload)


def udp(src, dst, sport, dport, data, **kw):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data
    pseudo = src + dst + struct.pack('!BBH', 0, 17, len(seg))
    sum_ = checksum(pseudo + seg) or 0xffff
    seg = seg[:6] + struct.pack('!H', sum_) + seg[8:]
    return ipv4(src, dst, 17, seg, **kw)


def echo(src, dst, ident, seq, data, **kw):
    msg = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + data
    msg = msg[:2] + struct.pack('!H', checksum(msg)) + msg[4:]
    return ipv4(src, dst, 1, msg, **kw)


def seed(*records, mode=0):
    out = bytes([mode])
    for control, frame in records:
        out += bytes([control]) + struct.pack('!H', len(frame)) + frame
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    ping_data = bytes(range(0x10, 0x38))
    sequence = (
        (0x20 | 0x10 | 2, udp(PEER_IP, OUR_IP, 3333, 7, b'first')),
        (0x40 | 0x10 | 3, arp(1, PEER_MAC, PEER_IP, b'\0' * 6, OUR_IP)),
        (0x60 | 0x10 | 1, echo(PEER_IP, OUR_IP, 1, 2, b'ping')),
        (0x10 | 4, arp(2, WAIT_MAC, WAIT_IP, OUR_MAC, OUR_IP)),
        (0x80 | 0x10, udp(PEER_IP, OUR_IP, 3333, 7, b'after expiry')))
    seeds = {
        'arp-request': seed((0, arp(1, PEER_MAC, PEER_IP, b'\0' * 6, OUR_IP))),
        'arp-reply-releases': seed((0, arp(2, WAIT_MAC, WAIT_IP, OUR_MAC, OUR_IP))),
        'icmp-echo': seed((0, echo(PEER_IP, OUR_IP, 0x1c46, 1, ping_data))),
        'icmp-echo-far': seed((0, echo(FAR_IP, OUR_IP, 7, 8, b'far', eth_src=GW_MAC))),
        'udp-datagram': seed((0, udp(PEER_IP, OUR_IP, 3333, 7, b'hello, stack'))),
        'udp-options': seed((0, udp(FAR_IP, OUR_IP, 53, 40000, b'answer',
                                    options=b'\x94\x04\x00\x00', eth_src=GW_MAC))),
        'udp-broadcast': seed((0, udp(PEER_IP, bytes([255] * 4), 68, 67, b'discover',
                                      eth_dst=BCAST))),
        # Time passes, retries, a late answer; datagrams to every kind of
        # destination in between. Then the same with the harness fixing
        # checksums (mode bit 4), and with transmit failing (bit 0).
        'sequence': seed(*sequence),
        'sequence-fixed': seed(*sequence, mode=0x10),
        'sequence-failing': seed(*sequence, mode=0x01),
    }
    # The whole input a dotted address (as frames: mode '1', one short record).
    seeds['address-text'] = b'10.0.2.15'
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
