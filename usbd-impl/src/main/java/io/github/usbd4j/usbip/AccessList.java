package io.github.usbd4j.usbip;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The peers a server accepts: address blocks in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}; a
 * bare address is a block of one). Only IP literals are accepted, never host names: an access list
 * must not depend on DNS. An IPv4 peer seen through an IPv6 socket ({@code ::ffff:a.b.c.d}) is
 * matched as the IPv4 address it is.
 */
final class AccessList {
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    /**
     * The shape of an IPv6 literal, starting as one does (a hex digit or a colon): {@link InetAddress}
     * takes text that starts otherwise for a host name and asks the resolver.
     */
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** The default: loopback only ({@code 127.0.0.0/8} and {@code ::1}). */
    static final AccessList LOOPBACK = parse("127.0.0.0/8,::1/128");

    /** One block: the network's address bytes (4 or 16), the prefix length, and how it was written. */
    @SuppressWarnings("ArrayRecordComponent") // private; never compared or exposed
    private record Block(byte[] network, int prefix, String text) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (address[full] & mask) == (network[full] & mask);
        }

        boolean isLoopback() {
            if (network.length == 4) {
                return prefix >= 8 && network[0] == 127;
            }
            return prefix == 128 && contains(IPV6_LOOPBACK);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final byte[] IPV6_LOOPBACK = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private final List<Block> blocks;

    private AccessList(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /**
     * Parses blocks; each argument may hold several, separated by commas.
     *
     * @param specs e.g. {@code "10.0.0.0/8,192.168.1.0/24"}, {@code "::1"}
     * @return the list
     * @throws IllegalArgumentException for an empty list, a host name, a bad prefix, or a block with
     *     bits set beyond its prefix ({@code 10.1.2.3/8}: the message names {@code 10.0.0.0/8})
     */
    static AccessList parse(String... specs) {
        Objects.requireNonNull(specs, "specs");
        List<Block> blocks = new ArrayList<>();
        for (String spec : specs) {
            Objects.requireNonNull(spec, "spec");
            for (String part : spec.split(",", -1)) {
                blocks.add(block(part.strip()));
            }
        }
        return new AccessList(blocks);
    }

    private static Block block(String s) {
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty address block in the allow list");
        }
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        byte[] address = literal(host, s);
        boolean mapped = address.length == 4 && host.contains(":");
        int prefix = address.length * 8;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}")) {
                throw new IllegalArgumentException("'" + s + "': the prefix length is not a number");
            }
            prefix = Integer.parseInt(p);
            if (mapped) {
                // an IPv4-mapped IPv6 block (::ffff:10.0.0.0/104): its IPv4 part
                if (prefix < 96) {
                    throw new IllegalArgumentException(
                            "'" + s + "': an IPv4-mapped block needs a prefix of 96 or more");
                }
                prefix -= 96;
            }
            if (prefix > address.length * 8) {
                throw new IllegalArgumentException("'" + s + "': the prefix length is more than " + address.length * 8);
            }
        }
        byte[] network = mask(address, prefix);
        if (!Arrays.equals(address, network)) {
            throw new IllegalArgumentException("'" + s + "' has bits set beyond its prefix; the block is "
                    + (mapped ? "::ffff:" : "") + hostAddress(network) + "/" + (mapped ? prefix + 96 : prefix));
        }
        return new Block(address, prefix, s);
    }

    private static byte[] literal(String host, String spec) {
        boolean v4 = IPV4.matcher(host).matches();
        if (!v4 && !IPV6.matcher(host).matches()) {
            throw new IllegalArgumentException(
                    "'" + spec + "' is not an IPv4 or IPv6 address block (host names are not accepted)");
        }
        if (v4) {
            byte[] b = new byte[4];
            String[] octets = host.split("\\.");
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(octets[i]);
                if (v > 255) {
                    throw new IllegalArgumentException("'" + spec + "' is not an IPv4 address block");
                }
                b[i] = (byte) v;
            }
            return b;
        }
        try {
            // in brackets InetAddress accepts an IPv6 literal only, and never asks the resolver
            return InetAddress.getByName("[" + host + "]").getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + spec + "' is not an IPv6 address block", e);
        }
    }

    private static String hostAddress(byte[] address) {
        try {
            return InetAddress.getByAddress(address).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 or 16 bytes: cannot happen
        }
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] m = address.clone();
        for (int bit = prefix; bit < m.length * 8; bit++) {
            m[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return m;
    }

    /**
     * Whether a peer may connect.
     *
     * @param peer the peer's address
     * @return {@code true} if a block contains it
     */
    boolean allows(InetAddress peer) {
        byte[] a = unmapped(peer);
        for (Block b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** Whether every block is loopback (then binding beyond loopback serves nobody more). */
    boolean isLoopbackOnly() {
        return blocks.stream().allMatch(Block::isLoopback);
    }

    /** The address bytes, an IPv4-mapped IPv6 address as its 4 IPv4 bytes. */
    private static byte[] unmapped(InetAddress peer) {
        byte[] a = peer.getAddress();
        if (peer instanceof Inet4Address || a.length != 16) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return a;
            }
        }
        if (a[10] != (byte) 0xFF || a[11] != (byte) 0xFF) {
            return a;
        }
        return new byte[] {a[12], a[13], a[14], a[15]};
    }

    @Override
    public String toString() {
        return blocks.stream().map(Block::toString).collect(Collectors.joining(","));
    }
}
