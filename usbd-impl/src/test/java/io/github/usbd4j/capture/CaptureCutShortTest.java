package io.github.usbd4j.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.usbd4j.sim.ReplayDevice;
import io.github.usbd4j.sim.Uac1Microphone;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture whose end was cut short in the middle of a packet, as a writer killed during a write leaves
 * it, reads up to its last whole packet and says where it was cut, as Wireshark reads one (the capture page
 * of the site, "Capture a usbd4j run"); damage that is not a cut end is still an error. Every cut of the
 * first blocks and a seeded sample of the rest, in pcapng and in classic pcap (microsecond and nanosecond).
 */
class CaptureCutShortTest {
    @TempDir
    static Path dir;

    private static byte[] pcapng;

    @BeforeAll
    static void capture() throws Exception {
        Path mic = dir.resolve("mic.pcapng");
        ReplayDeviceTest.recordMicrophone(new Uac1Microphone(), mic, 12);
        pcapng = Files.readAllBytes(mic);
    }

    @Test
    void pcapng_cutAnywhereAfterTheSectionHeader_readsTheWholePacketsBeforeTheCut() throws Exception {
        everyCut(pcapng, blockEnds(pcapng), packetEnds(pcapng), sectionHeaderLength(pcapng));
    }

    @Test
    void pcap_cutAnywhereAfterTheFileHeader_readsTheWholePacketsBeforeTheCut() throws Exception {
        for (boolean nanos : new boolean[] {false, true}) {
            byte[] pcap = CaptureReaderFuzzTest.toPcap(pcapng, nanos);
            NavigableSet<Integer> ends = packetEnds(pcap);
            NavigableSet<Integer> blocks = new TreeSet<>(ends);
            blocks.add(24);
            everyCut(pcap, blocks, ends, 24);
        }
    }

    /**
     * Cuts {@code file} at every byte of its first blocks, one byte either side of every block end, and at
     * seeded random bytes, and checks what the reader returns: the whole packets before the cut, and a
     * cut-short note exactly when the cut is not at a block end.
     */
    private static void everyCut(
            byte[] file, NavigableSet<Integer> blockEnds, NavigableSet<Integer> packetEnds, int firstEnd)
            throws Exception {
        List<UsbmonRecord> all = CaptureReader.read(file);
        assertThat(all).hasSize(packetEnds.size()).hasSizeGreaterThan(30);
        NavigableSet<Integer> cuts = new TreeSet<>();
        int early = blockEnds.higher(blockEnds.higher(blockEnds.higher(firstEnd)));
        for (int c = firstEnd; c <= early; c++) {
            cuts.add(c);
        }
        for (int end : blockEnds) {
            cuts.add(end - 1);
            cuts.add(end);
            cuts.add(Math.min(file.length, end + 1));
        }
        SplittableRandom random = new SplittableRandom(0x0C07_5407L);
        for (int k = 0; k < 400; k++) {
            cuts.add(firstEnd + random.nextInt(file.length - firstEnd + 1));
        }
        cuts.removeIf(c -> c < firstEnd);
        for (int cut : cuts) {
            CaptureReader.Capture c = CaptureReader.readCapture(Arrays.copyOf(file, cut));
            int expected = packetEnds.headSet(cut, true).size();
            assertThat(c.records())
                    .as("records of the file cut at byte %d", cut)
                    .hasSize(expected);
            for (int i = 0; i < expected; i++) {
                assertSameRecord(c.records().get(i), all.get(i));
            }
            assertThat(c.isCutShort())
                    .as("cut at byte %d of %d", cut, file.length)
                    .isEqualTo(!blockEnds.contains(cut));
            if (c.isCutShort()) {
                assertThat(c.cutShort()).contains("cut short", "the " + expected + " usbmon records before it");
            }
        }
    }

    private static void assertSameRecord(UsbmonRecord got, UsbmonRecord want) {
        assertThat(got.urbId()).isEqualTo(want.urbId());
        assertThat(got.type()).isEqualTo(want.type());
        assertThat(got.endpoint()).isEqualTo(want.endpoint());
        assertThat(got.iso()).isEqualTo(want.iso());
        assertThat(got.data()).isEqualTo(want.data());
    }

    @Test
    void aLengthNoBlockMayHave_isDamageNotACut() throws Exception {
        NavigableSet<Integer> ends = blockEnds(pcapng);
        int third = ends.higher(ends.higher(ends.first()));
        byte[] damaged = Arrays.copyOf(pcapng, pcapng.length);
        ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putInt(third + 4, 64 << 20);
        assertThatThrownBy(() -> CaptureReader.read(damaged))
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("at byte " + third)
                .hasMessageContaining("has length " + (64 << 20));
    }

    @Test
    void aWholeBlockWhoseTrailingLengthDiffers_isStillAnError() throws Exception {
        NavigableSet<Integer> ends = blockEnds(pcapng);
        int last = ends.lower(ends.last());
        byte[] damaged = Arrays.copyOf(pcapng, pcapng.length);
        ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN).putInt(pcapng.length - 4, 12);
        assertThatThrownBy(() -> CaptureReader.read(damaged))
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("at byte " + last)
                .hasMessageContaining("trailing length");
    }

    @Test
    void aPcapPacketLongerThanTheSnapLength_isDamageEvenAtTheEnd() throws Exception {
        byte[] pcap = CaptureReaderFuzzTest.toPcap(pcapng, false);
        NavigableSet<Integer> ends = packetEnds(pcap);
        int last = ends.lower(ends.last());
        ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN).putInt(last + 8, 262_145);
        assertThatThrownBy(() -> CaptureReader.read(pcap))
                .isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("more than the snap length 262144");
    }

    @Test
    void aSectionHeaderCutShort_isNotACapture() {
        int shb = sectionHeaderLength(pcapng);
        for (int cut : new int[] {4, 11, 12, shb - 1}) {
            assertThatThrownBy(() -> CaptureReader.read(Arrays.copyOf(pcapng, cut)))
                    .as("cut at %d", cut)
                    .isInstanceOf(CaptureFormatException.class);
        }
    }

    @Test
    void aReplayOfACutShortCapture_playsWhatCameBeforeTheCut_andSaysWhereItWasCut() throws Exception {
        NavigableSet<Integer> ends = blockEnds(pcapng);
        int cut = ends.lower(ends.last()) + 30;
        Path file = dir.resolve("cut.pcapng");
        Files.write(file, Arrays.copyOf(pcapng, cut));
        ReplayDevice whole = ReplayDevice.fromCapture(dir.resolve("mic.pcapng"));
        ReplayDevice replay = ReplayDevice.fromCapture(file);
        assertThat(whole.captureCutShort()).isNull();
        assertThat(replay.captureCutShort()).contains("at byte " + ends.lower(ends.last()));
        assertThat(replay.deviceDescriptor().toString())
                .isEqualTo(whole.deviceDescriptor().toString());
        byte[] wholeIn = whole.capturedInData(0x81);
        byte[] cutIn = replay.capturedInData(0x81);
        assertThat(cutIn.length).isGreaterThan(0).isLessThanOrEqualTo(wholeIn.length);
        assertThat(cutIn).isEqualTo(Arrays.copyOf(wholeIn, cutIn.length));
    }

    // ---- the files' own structure, walked independently of the reader ----------------------------------

    private static int sectionHeaderLength(byte[] file) {
        return ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    }

    /** The byte after each pcapng block. */
    private static NavigableSet<Integer> blockEnds(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        NavigableSet<Integer> ends = new TreeSet<>();
        for (int pos = 0; pos < file.length; ) {
            pos += in.getInt(pos + 4);
            ends.add(pos);
        }
        return ends;
    }

    /** The byte after each packet: each enhanced packet block of a pcapng file, each record of a pcap file. */
    private static NavigableSet<Integer> packetEnds(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        NavigableSet<Integer> ends = new TreeSet<>();
        if (in.getInt(0) == 0x0A0D0D0A) {
            for (int pos = 0; pos < file.length; ) {
                int type = in.getInt(pos);
                pos += in.getInt(pos + 4);
                if (type == 6) {
                    ends.add(pos);
                }
            }
        } else {
            for (int pos = 24; pos < file.length; ) {
                pos += 16 + in.getInt(pos + 8);
                ends.add(pos);
            }
        }
        return ends;
    }
}
