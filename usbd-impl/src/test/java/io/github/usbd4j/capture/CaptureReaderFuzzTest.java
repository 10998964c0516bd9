package io.github.usbd4j.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.Uac1Microphone;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile captures: mutations (bit flips, byte replacements, truncation, insertions, duplicated slices,
 * length fields set to extremes) of real captures in pcapng and in classic pcap (microsecond and
 * nanosecond), read by {@link CaptureReader} and, for some, built into a {@link ReplayDevice}. Each must
 * return or fail with an {@link IOException} (a {@link CaptureFormatException} from the reader), never
 * with anything else. Seeded: {@code -Dusbd4j.fuzz.seed=N} replays a failure (its case is in the
 * message), {@code -Dusbd4j.fuzz.seconds=N} runs longer than the default bound.
 */
class CaptureReaderFuzzTest {
    @TempDir
    Path dir;

    @Test
    void hostileCaptures_failOnlyWithClearErrors() throws Exception {
        long seed = Long.getLong("usbd4j.fuzz.seed", 0xCA97_0016L);
        long seconds = Long.getLong("usbd4j.fuzz.seconds", 4);
        Path capture = dir.resolve("seed.pcapng");
        Path mic = dir.resolve("mic.pcapng");
        CeCaptureRun.run(capture, 1L << 30);
        ReplayDeviceTest.recordMicrophone(new Uac1Microphone(), mic, 3);
        byte[] pcapng = Files.readAllBytes(mic);
        List<byte[]> seeds = List.of(pcapng, toPcap(pcapng, false), toPcap(pcapng, true), Files.readAllBytes(capture));
        assertThat(CaptureReader.read(seeds.get(1))).hasSameSizeAs(CaptureReader.read(pcapng));
        assertThat(CaptureReader.read(seeds.get(2))).hasSameSizeAs(CaptureReader.read(pcapng));
        SplittableRandom random = new SplittableRandom(seed);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int cases = 0;
        int rejected = 0;
        int replays = 0;
        Path file = dir.resolve("case.pcapng");
        while (System.nanoTime() < end && cases < 2_000_000) {
            int which = random.nextInt(10) < 8 ? random.nextInt(3) : 3;
            byte[] input = mutate(random, seeds.get(which));
            cases++;
            try {
                List<UsbmonRecord> records = CaptureReader.read(input);
                for (UsbmonRecord r : records) {
                    for (int k = 0; k < r.iso().size(); k++) {
                        r.isoPacketData(k);
                    }
                    assertThat(r.toString()).isNotEmpty();
                }
                if (which < 3 && random.nextInt(8) == 0) {
                    Files.write(file, input);
                    replays++;
                    try {
                        ReplayDevice d = ReplayDevice.fromCapture(file);
                        d.configurationDescriptors();
                        d.deviceDescriptor();
                        d.capturedInData(0x81);
                    } catch (IOException expected) {
                        rejected++;
                    }
                }
            } catch (CaptureFormatException expected) {
                rejected++;
                assertThat(expected.getMessage()).isNotBlank();
            } catch (Throwable t) {
                throw new AssertionError("seed " + seed + " case " + cases + " threw " + t, t);
            }
        }
        System.out.printf(
                "CaptureReaderFuzzTest: %d hostile captures (%d also replayed), %d rejected with a clear error, seed %d%n",
                cases, replays, rejected, seed);
        assertThat(cases).isGreaterThan(200);
        assertThat(rejected)
                .as("mutations reach past the first checks and also fail")
                .isBetween(1, cases - 1);
    }

    private static byte[] mutate(SplittableRandom random, byte[] seed) {
        byte[] b = seed.clone();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int pos = random.nextInt(Math.max(1, b.length));
            switch (random.nextInt(7)) {
                case 0 -> b[pos] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[pos] = (byte) random.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length + 1));
                case 3 -> { // a 32-bit field set to an extreme
                    if (pos + 4 <= b.length) {
                        int v = switch (random.nextInt(5)) {
                            case 0 -> 0;
                            case 1 -> -1;
                            case 2 -> Integer.MAX_VALUE;
                            case 3 -> Integer.MIN_VALUE;
                            default -> random.nextInt(4096);
                        };
                        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(pos & ~3, v);
                    }
                }
                case 4 -> { // insert bytes
                    int n = 1 + random.nextInt(16);
                    byte[] c = new byte[b.length + n];
                    System.arraycopy(b, 0, c, 0, pos);
                    System.arraycopy(b, pos, c, pos + n, b.length - pos);
                    b = c;
                }
                case 5 -> { // duplicate a slice
                    int n = Math.min(b.length - pos, 1 + random.nextInt(200));
                    byte[] c = new byte[b.length + n];
                    System.arraycopy(b, 0, c, 0, pos + n);
                    System.arraycopy(b, pos, c, pos + n, b.length - pos);
                    b = c;
                }
                default -> {
                    if (b.length > 0) {
                        b[pos] = 0;
                    }
                }
            }
            if (b.length == 0) {
                break;
            }
        }
        return b;
    }

    /** The records of a little-endian pcapng capture as a classic pcap file. */
    static byte[] toPcap(byte[] pcapng, boolean nanos) throws CaptureFormatException {
        ByteBuffer in = ByteBuffer.wrap(pcapng).order(ByteOrder.LITTLE_ENDIAN);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4)
                .putShort((short) 2)
                .putShort((short) 4)
                .putInt(0)
                .putInt(0);
        h.putInt(262_144).putInt(Usbmon.LINKTYPE_USB_LINUX_MMAPPED);
        out.writeBytes(h.array());
        int pos = 0;
        while (pos < pcapng.length) {
            int type = in.getInt(pos);
            int len = in.getInt(pos + 4);
            if (type == 6) {
                long ts = (in.getInt(pos + 12) & 0xFFFFFFFFL) << 32 | (in.getInt(pos + 16) & 0xFFFFFFFFL);
                int caplen = in.getInt(pos + 20);
                ByteBuffer r = ByteBuffer.allocate(16 + caplen).order(ByteOrder.LITTLE_ENDIAN);
                r.putInt((int) (ts / 1_000_000)).putInt((int) (ts % 1_000_000) * (nanos ? 1000 : 1));
                r.putInt(caplen).putInt(in.getInt(pos + 24));
                r.put(pcapng, pos + 28, caplen);
                out.writeBytes(r.array());
            }
            pos += len;
        }
        return out.toByteArray();
    }
}
