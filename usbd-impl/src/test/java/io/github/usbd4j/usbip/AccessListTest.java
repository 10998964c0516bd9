package io.github.usbd4j.usbip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CIDR matcher behind {@code --allow}: no address here is ever connected to. */
class AccessListTest {

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no name lookup
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1"})
    void theDefaultAllowsLoopback(String peer) throws Exception {
        assertThat(AccessList.LOOPBACK.allows(ip(peer))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "10.0.0.1",
                "192.168.1.20",
                "172.16.0.1",
                "8.8.8.8",
                "0.0.0.0",
                "128.0.0.1",
                "126.255.255.255",
                "2001:db8::1",
                "fe80::1",
                "::2",
                "::",
                "::ffff:10.0.0.1",
                "::127.0.0.1"
            })
    void theDefaultRefusesEveryNonLoopbackPeer(String peer) throws Exception {
        assertThat(AccessList.LOOPBACK.allows(ip(peer))).isFalse();
    }

    @Test
    void ipv4Blocks() throws Exception {
        AccessList tenSlash8 = AccessList.parse("10.0.0.0/8");
        assertThat(tenSlash8.allows(ip("10.0.0.0"))).isTrue();
        assertThat(tenSlash8.allows(ip("10.255.255.255"))).isTrue();
        assertThat(tenSlash8.allows(ip("11.0.0.0"))).isFalse();
        assertThat(tenSlash8.allows(ip("127.0.0.1"))).isFalse();
        assertThat(tenSlash8.allows(ip("::ffff:10.1.2.3")))
                .as("an IPv4-mapped peer")
                .isTrue();
        assertThat(tenSlash8.allows(ip("::a01:203")))
                .as("not mapped: an IPv6 address")
                .isFalse();

        AccessList odd = AccessList.parse("192.168.4.0/22");
        assertThat(odd.allows(ip("192.168.4.1"))).isTrue();
        assertThat(odd.allows(ip("192.168.7.255"))).isTrue();
        assertThat(odd.allows(ip("192.168.8.0"))).isFalse();
        assertThat(odd.allows(ip("192.168.3.255"))).isFalse();

        AccessList one = AccessList.parse("127.0.0.1");
        assertThat(one.allows(ip("127.0.0.1"))).isTrue();
        assertThat(one.allows(ip("127.0.0.2"))).isFalse();

        AccessList all = AccessList.parse("0.0.0.0/0");
        assertThat(all.allows(ip("203.0.113.9"))).isTrue();
        assertThat(all.allows(ip("2001:db8::1")))
                .as("IPv4 blocks do not match IPv6 peers")
                .isFalse();
    }

    @Test
    void ipv6Blocks() throws Exception {
        AccessList ula = AccessList.parse("fd00::/8");
        assertThat(ula.allows(ip("fd12:3456::1"))).isTrue();
        assertThat(ula.allows(ip("fe80::1"))).isFalse();
        assertThat(ula.allows(ip("10.0.0.1"))).isFalse();

        AccessList doc = AccessList.parse("2001:db8:1::/49");
        assertThat(doc.allows(ip("2001:db8:1:7fff::1"))).isTrue();
        assertThat(doc.allows(ip("2001:db8:1:8000::1"))).isFalse();

        AccessList mapped = AccessList.parse("::ffff:10.0.0.0/104");
        assertThat(mapped.allows(ip("10.9.9.9"))).isTrue();
        assertThat(mapped.allows(ip("11.0.0.1"))).isFalse();
    }

    @Test
    void severalBlocksInOneOrManyArguments() throws Exception {
        AccessList list = AccessList.parse("10.0.0.0/8, 192.168.1.0/24", "::1");
        assertThat(list.allows(ip("10.1.1.1"))).isTrue();
        assertThat(list.allows(ip("192.168.1.200"))).isTrue();
        assertThat(list.allows(ip("::1"))).isTrue();
        assertThat(list.allows(ip("192.168.2.1"))).isFalse();
        assertThat(list.allows(ip("127.0.0.1"))).isFalse();
        assertThat(list).hasToString("10.0.0.0/8,192.168.1.0/24,::1");
        assertThat(list.isLoopbackOnly()).isFalse();
        assertThat(AccessList.LOOPBACK.isLoopbackOnly()).isTrue();
        assertThat(AccessList.parse("127.0.0.1/32").isLoopbackOnly()).isTrue();
        assertThat(AccessList.parse("0.0.0.0/0").isLoopbackOnly()).isFalse();
    }

    @Test
    void badBlocksAreRefusedWithoutANameLookup() {
        assertThatThrownBy(() -> AccessList.parse("10.1.2.3/8"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10.0.0.0/8");
        assertThatThrownBy(() -> AccessList.parse("localhost"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host names");
        for (String bad : new String[] {
            "",
            "10.0.0.0/33",
            "::/129",
            "256.0.0.1",
            "10.0.0/8",
            "10.0.0.0/",
            "10.0.0.0/x",
            "fe80::1%lo",
            "1,,2",
            "::ffff:10.0.0.0/90",
            "example.invalid"
        }) {
            assertThatThrownBy(() -> AccessList.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        // text with a colon that does not start like an IPv6 literal: InetAddress would take it for a host
        // name and ask the resolver, so it is refused by its shape before InetAddress sees it
        for (String name : new String[] {".:", "..:", ".1:2", ".::1/128", ".:,127.0.0.1"}) {
            assertThatThrownBy(() -> AccessList.parse(name))
                    .as(name)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("host names are not accepted");
        }
    }

    @Test
    void aBindWarningNamesWhatIsExposed() throws Exception {
        assertThat(UsbIpServer.bindWarning(ip("127.0.0.1"), AccessList.LOOPBACK))
                .isNull();
        assertThat(UsbIpServer.bindWarning(ip("::1"), AccessList.parse("10.0.0.0/8")))
                .isNull();
        assertThat(UsbIpServer.bindWarning(ip("0.0.0.0"), AccessList.LOOPBACK))
                .contains("0.0.0.0")
                .contains("only loopback peers are allowed");
        assertThat(UsbIpServer.bindWarning(ip("10.0.0.5"), AccessList.parse("10.0.0.0/8")))
                .contains("10.0.0.5")
                .contains("peers in 10.0.0.0/8 can import");
    }
}
