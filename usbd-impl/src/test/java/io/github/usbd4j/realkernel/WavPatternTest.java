package io.github.usbd4j.realkernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wav checker of the real-kernel stage must catch a single wrong sample, and tell a lost packet from a gap. */
class WavPatternTest {

    /** A capture: silence, CE pattern, silence, WDM pattern, silence. */
    private static byte[] capture(int ceFrames, int wdmFrames) {
        int frames = 10 + ceFrames + 7 + wdmFrames + 3;
        ByteBuffer b = ByteBuffer.allocate(44 + frames * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46464952).putInt(36 + frames * 4).putInt(0x45564157);
        b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 2).putInt(48000);
        b.putInt(48000 * 4).putShort((short) 4).putShort((short) 16);
        b.putInt(0x61746164).putInt(0); // QEMU killed before exit leaves 0 here
        b.position(44 + 10 * 4);
        WavPattern.CE.fill(b, 0, ceFrames);
        b.position(b.position() + ceFrames * 4 + 7 * 4);
        WavPattern.WDM.fill(b, 0, wdmFrames);
        return b.array();
    }

    private static final List<WavPattern.Segment> SEGMENTS =
            List.of(new WavPattern.Segment(WavPattern.CE, 4800), new WavPattern.Segment(WavPattern.WDM, 960));

    @Test
    void intactCapture_passes_andReportsWhereEachSegmentStarts() {
        List<String> report = WavPattern.verify(capture(4800, 960), SEGMENTS);
        assertThat(report.get(0)).contains("4800 frames bit-exact from capture frame 10");
        assertThat(report.get(1)).contains("from capture frame 4817");
        assertThat(report.get(2)).startsWith("3 silent frames");
    }

    @Test
    void patternStartsWithANonSilentFrame() {
        assertThat(WavPattern.CE.left(0)).isNotZero();
        assertThat(WavPattern.WDM.left(0)).isNotZero();
    }

    @Test
    void oneSampleOffByOne_fails() {
        byte[] wav = capture(4800, 960);
        int at = 44 + (10 + 1234) * 4 + 2; // the right sample of CE frame 1234
        wav[at] ^= 1;
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("segment 0 frame 1234");
    }

    @Test
    void aMissingFrame_fails() {
        assertThatThrownBy(() -> WavPattern.verify(capture(4799, 960), SEGMENTS))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void noiseAfterTheLastSegment_fails() {
        byte[] wav = capture(4800, 960);
        wav[wav.length - 1] = 1;
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("after the last segment");
    }

    /** The CE capture with whole 48-frame packets cut out (the capture closes up behind a lost packet). */
    private static byte[] withoutPackets(byte[] wav, int... packets) {
        ByteBuffer out = ByteBuffer.allocate(wav.length - packets.length * 48 * 4);
        int cut = 0;
        for (int f = 0; (44 + f * 4) < wav.length; f++) {
            int pattern = f - 10; // CE frame index: 10 silent frames first
            boolean lost = false;
            for (int p : packets) {
                lost |= pattern >= p * 48 && pattern < (p + 1) * 48;
            }
            if (f == 0) {
                out.put(wav, 0, 44);
            }
            if (lost) {
                cut++;
            } else {
                out.put(wav, 44 + f * 4, 4);
            }
        }
        assertThat(cut).isEqualTo(packets.length * 48);
        return out.array();
    }

    @Test
    void wholeLostPackets_passWithinTheToolsCount_andAreReported() {
        byte[] wav = withoutPackets(capture(4800, 960), 0, 7, 8, 99);
        List<String> report = WavPattern.verify(wav, SEGMENTS, 48, 4);
        assertThat(report.get(0)).contains("but for the lost packets [0, 7, 8, 99]");
        assertThat(WavPattern.verify(capture(4800, 960), SEGMENTS, 48, 4).get(0))
                .doesNotContain("lost");
    }

    @Test
    void morePacketsMissingThanTheToolCounted_fail() {
        byte[] wav = withoutPackets(capture(4800, 960), 7, 8);
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS, 48, 1)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS)).isInstanceOf(AssertionError.class);
    }

    @Test
    void aGapThatIsNoWholePacket_fails_evenWithinTheCount() {
        assertThatThrownBy(() -> WavPattern.verify(capture(4799, 960), SEGMENTS, 48, 10))
                .isInstanceOf(AssertionError.class);
        byte[] wav = capture(4800, 960);
        wav[44 + (10 + 1234) * 4 + 2] ^= 1; // a wrong sample is no lost packet
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS, 48, 10))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("segment 0 frame 1234");
    }

    @Test
    void samplesScaledByQemusDefaultVolume_fail() {
        byte[] wav = capture(4800, 960);
        ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 44; i < wav.length; i += 2) {
            b.putShort(i, (short) (b.getShort(i) * 240 / 255));
        }
        assertThatThrownBy(() -> WavPattern.verify(wav, SEGMENTS)).isInstanceOf(AssertionError.class);
    }
}
