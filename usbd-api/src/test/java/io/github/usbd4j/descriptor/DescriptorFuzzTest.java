package io.github.usbd4j.descriptor;

import static io.github.usbd4j.descriptor.DescriptorTables.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.usb.UsbConfiguration;
import io.github.usbd4j.usb.UsbEndpoint;
import io.github.usbd4j.usb.UsbInterface;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Mutates the real descriptor sets (bit flips, byte replacements, truncation, insertion, duplicated
 * slices, length-field tweaks) and checks that every parser either returns or throws {@link
 * DescriptorException}, never anything else. Replay a failure with {@code -Dusbd4j.fuzz.seed=<seed>};
 * the failing case index is in the message.
 */
class DescriptorFuzzTest {
    private static final int CASES = 120_000;
    private static final int[] INTERESTING = {0, 1, 2, 3, 5, 6, 7, 8, 9, 0x0B, 0x24, 0x25, 0x30, 0x31, 0x7F, 0x80, 0xFF
    };

    private static final List<byte[]> CONFIGS = List.of(
            bytes(DescriptorTables.SPEAKER_CONFIG),
            bytes(DescriptorTables.WEBCAM_CONFIG),
            bytes(DescriptorTables.SS_CONFIG));
    private static final List<byte[]> DEVICES = List.of(
            bytes(DescriptorTables.SPEAKER_DEVICE),
            bytes(DescriptorTables.WEBCAM_DEVICE),
            bytes(DescriptorTables.SS_DEVICE));
    private static final List<byte[]> STRINGS =
            List.of(bytes(DescriptorTables.LANGUAGE_IDS), bytes(DescriptorTables.PRODUCT_STRING));
    private static final byte[] BOS = bytes(DescriptorTables.SS_BOS);

    @Test
    void parsers_onlyEverThrowDescriptorException() {
        long seed = Long.getLong("usbd4j.fuzz.seed", 0x5EED_D4_2025L);
        SplittableRandom random = new SplittableRandom(seed);
        int rejected = 0;
        for (int i = 0; i < CASES; i++) {
            String what = "";
            try {
                int kind = random.nextInt(10);
                if (kind < 6) {
                    byte[] config = mutate(random, pick(random, CONFIGS), true);
                    what = "parseConfiguration " + hex(config);
                    exercise(Descriptors.parseConfiguration(config));
                } else if (kind == 6) {
                    byte[] device = mutate(random, pick(random, DEVICES), false);
                    byte[] config = mutate(random, pick(random, CONFIGS), true);
                    int active = random.nextInt(3);
                    what = "parseDevice " + hex(device) + " " + hex(config) + " active " + active;
                    Descriptors.parseDevice(device, List.of(config), active);
                } else if (kind == 7) {
                    byte[] string = mutate(random, pick(random, STRINGS), false);
                    what = "parseString " + hex(string);
                    Descriptors.parseString(string);
                    Descriptors.parseLanguageIds(string);
                } else {
                    byte[] bos = mutate(random, BOS, true);
                    what = "parseBos " + hex(bos);
                    BosDescriptor parsed = Descriptors.parseBos(bos);
                    parsed.usb20Extension();
                    parsed.superSpeedUsb();
                }
            } catch (DescriptorException expected) {
                rejected++;
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + " case " + i + ": " + what + " threw " + t, t);
            }
        }
        // the mutations must reach past the first checks, not only produce garbage
        assertThat(rejected).isBetween(CASES / 10, CASES - CASES / 20);
    }

    /** What a driver does with a parsed configuration: none of it may throw. */
    private static void exercise(UsbConfiguration c) throws DescriptorException {
        Descriptors.interfaceAssociations(c);
        Descriptors.split(c.extended());
        for (UsbInterface i : c.interfaces()) {
            Descriptors.split(i.extended());
            for (UsbEndpoint e : i.endpoints()) {
                Descriptors.split(e.extended());
                Endpoints.superSpeedCompanion(e);
                Endpoints.superSpeedPlusIsochCompanion(e);
                int type = e.descriptor().transferType();
                if (type == 1 || type == 3) { // periodic: valid at these speeds for any parsed descriptor
                    for (UsbSpeed speed : List.of(UsbSpeed.FULL, UsbSpeed.HIGH, UsbSpeed.SUPER_PLUS)) {
                        Endpoints.bytesPerServiceInterval(e, speed);
                    }
                }
            }
        }
    }

    private static byte[] mutate(SplittableRandom random, byte[] base, boolean hasTotalLength) {
        byte[] b = base.clone();
        int steps = 1 + random.nextInt(3);
        for (int s = 0; s < steps; s++) {
            b = mutateOnce(random, b);
        }
        // half the time make wTotalLength agree, so the mutation reaches the descriptor walk
        if (hasTotalLength && b.length >= 4 && random.nextBoolean()) {
            b[2] = (byte) b.length;
            b[3] = (byte) (b.length >>> 8);
        }
        return b;
    }

    private static byte[] mutateOnce(SplittableRandom random, byte[] b) {
        if (b.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(b.length);
        switch (random.nextInt(7)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8)); // bit flip
            case 1 -> b[at] = (byte) random.nextInt(256); // random byte
            case 2 -> b[at] = (byte) INTERESTING[random.nextInt(INTERESTING.length)];
            case 3 -> b = Arrays.copyOf(b, random.nextInt(b.length)); // truncation
            case 4 -> { // insertion of random bytes
                byte[] extra = new byte[1 + random.nextInt(12)];
                for (int k = 0; k < extra.length; k++) {
                    extra[k] = (byte) random.nextInt(256);
                }
                b = insert(b, at, extra);
            }
            case 5 -> { // duplication of a slice
                int from = random.nextInt(b.length);
                int to = Math.min(b.length, from + 1 + random.nextInt(24));
                b = insert(b, random.nextInt(b.length + 1), Arrays.copyOfRange(b, from, to));
            }
            default -> { // tweak a bLength at a descriptor boundary
                int boundary = boundary(b, random.nextInt(16));
                b[boundary] = (byte) (b[boundary] + random.nextInt(-3, 4));
            }
        }
        return b;
    }

    /** Offset of the n-th descriptor header by following bLength (0 if the chain breaks first). */
    private static int boundary(byte[] b, int n) {
        int offset = 0;
        for (int k = 0; k < n; k++) {
            int next = offset + (b[offset] & 0xFF);
            if ((b[offset] & 0xFF) < 2 || next >= b.length) {
                return offset;
            }
            offset = next;
        }
        return offset;
    }

    private static byte[] insert(byte[] b, int at, byte[] extra) {
        byte[] out = new byte[b.length + extra.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(b, at, out, at + extra.length, b.length - at);
        return out;
    }

    private static byte[] pick(SplittableRandom random, List<byte[]> list) {
        return list.get(random.nextInt(list.size()));
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
