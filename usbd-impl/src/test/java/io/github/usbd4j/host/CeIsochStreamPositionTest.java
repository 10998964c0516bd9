package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.ERROR_GEN_FAILURE;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.sim.LoopbackDevice;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The stream position of an isochronous pipe ([§1.8](reference/ce-usbd.html#lead)): {@code USB_START_ISOCH_ASAP}
 * starts a transfer at the later of the pipe's stream end and now + the lead, and the stream end moves only for a
 * transfer the controller took (CE's EHCI driver updates {@code lastValidFrame} after the transfer was accepted). A
 * transfer that the backend refused never ran; it must not leave a gap of its frames in the stream.
 */
class CeIsochStreamPositionTest {

    private static int[] lengths(int frames, int length) {
        int[] l = new int[frames];
        Arrays.fill(l, length);
        return l;
    }

    private static UsbTransfer asap(UsbFuncs f, UsbPipe in, int frames) {
        return f.issueIsochTransfer(
                in,
                null,
                null,
                USB_IN_TRANSFER | USB_START_ISOCH_ASAP | USB_SHORT_TRANSFER_OK | USB_NO_WAIT,
                0,
                frames,
                lengths(frames, 8),
                ByteBuffer.allocate(frames * 8),
                0);
    }

    private static void selectAlternate(CeRig h, int alt) {
        UsbTransfer t = h.f.setInterface(h.device, null, null, 0, 0, alt);
        assertThat(t).as("SetInterface(0, %d)", alt).isNotNull();
        h.f.closeTransfer(t);
    }

    /**
     * The pipe's endpoint leaves the active settings (alternate setting 0), so the backend refuses a 500-frame
     * transfer (ERROR_GEN_FAILURE). Back in setting 1, the next ASAP transfer starts at now + 6, not 500 frames
     * later.
     */
    @Test
    void aRefusedTransfer_leavesNoGapInTheStream_1_8() {
        try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
            UsbPipe in = h.open(0, 1, 0x81);
            selectAlternate(h, 0);
            assertThat(asap(h.f, in, 500))
                    .as("a transfer on an endpoint not in the settings")
                    .isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);

            selectAlternate(h, 1);
            long now = h.sim.currentFrame();
            UsbTransfer t = asap(h.f, in, 2);
            assertThat(t).isNotNull();
            assertThat(t.startFrame())
                    .as("ASAP start after a refused transfer (now %d, lead 6)", now)
                    .isEqualTo((int) (now + 6));
            h.sim.advanceFrames(10);
            assertThat(t.isComplete()).isTrue();
            h.f.closeTransfer(t);
        }
    }

    /**
     * A refusal in the middle of a stream gives back only its own frames: the next ASAP transfer continues right
     * after the last transfer the controller took.
     */
    @Test
    void aRefusalInAStream_givesBackOnlyItsOwnFrames_1_8() {
        try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
            UsbPipe in = h.open(0, 1, 0x81);
            UsbTransfer a = asap(h.f, in, 50);
            assertThat(a).isNotNull();
            selectAlternate(h, 0); // A is cut short: its endpoint left the settings
            assertThat(asap(h.f, in, 20)).as("B, refused").isNull();
            assertThat(Win32.getLastError()).isEqualTo(ERROR_GEN_FAILURE);
            selectAlternate(h, 1);
            UsbTransfer c = asap(h.f, in, 2);
            assertThat(c).isNotNull();
            assertThat(c.startFrame()).as("C continues A's stream").isEqualTo(a.startFrame() + 50);
            h.sim.advanceFrames(80);
            for (UsbTransfer t : new UsbTransfer[] {a, c}) {
                assertThat(t.isComplete()).isTrue();
                h.f.closeTransfer(t);
            }
        }
    }
    /**
     * An aborted transfer keeps the frames it was given, as CE's EHCI driver keeps {@code lastValidFrame} through an
     * abort: the next ASAP transfer starts after them, not at now + 6.
     */
    @Test
    void anAbortedTransfer_keepsItsFrames_1_8() {
        try (CeRig h = CeRig.virtual(LoopbackDevice.fullSpeed())) {
            UsbPipe in = h.open(0, 1, 0x81);
            UsbTransfer a = asap(h.f, in, 100);
            assertThat(h.f.abortTransfer(a, 0)).isTrue();
            assertThat(h.f.isTransferComplete(a)).isTrue();
            UsbTransfer b = asap(h.f, in, 2);
            assertThat(b.startFrame()).as("B after the aborted A's frames").isEqualTo(a.startFrame() + 100);
            assertThat(h.f.abortPipeTransfers(in, 0)).isTrue();
            h.f.closeTransfer(a);
            h.f.closeTransfer(b);
        }
    }
}
