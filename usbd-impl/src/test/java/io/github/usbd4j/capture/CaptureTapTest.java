package io.github.usbd4j.capture;

import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CE run captured with a {@code CaptureTap}: what the file says equals what the driver was told. */
class CaptureTapTest {
    @TempDir
    Path dir;

    private static List<UsbmonRecord> isoInCompletions(List<UsbmonRecord> records) {
        List<UsbmonRecord> out = new ArrayList<>();
        for (UsbmonRecord r : records) {
            if (r.type() == Usbmon.COMPLETE && r.xferType() == Usbmon.XFER_ISOCHRONOUS && r.endpoint() == 0x81) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void everyIsoInFrame_lengthStatusAndData_equalGetIsochResults() throws Exception {
        Path file = dir.resolve("run.pcapng");
        CeCaptureRun run = CeCaptureRun.run(file, 1L << 30);
        List<UsbmonRecord> records = CaptureReader.read(file);
        assertThat(records).hasSize((int) run.captureRecords);
        List<UsbmonRecord> in = isoInCompletions(records);
        assertThat(in).hasSize(CeCaptureRun.TRANSFERS);
        int nonZero = 0;
        for (int n = 0; n < in.size(); n++) {
            UsbmonRecord r = in.get(n);
            CeCaptureRun.InResult ce = run.in.get(n);
            assertThat(r.iso()).hasSize(CeCaptureRun.FRAMES);
            for (int k = 0; k < CeCaptureRun.FRAMES; k++) {
                UsbmonRecord.IsoDescriptor d = r.iso().get(k);
                assertThat(d.length()).as("transfer %d frame %d length", n, k).isEqualTo(ce.lengths()[k]);
                assertThat(d.status())
                        .as("transfer %d frame %d status", n, k)
                        .isEqualTo(CeCaptureRun.errnoOf(ce.errors()[k]));
                assertThat(d.offset()).isEqualTo(k * 512);
                assertThat(r.isoPacketData(k))
                        .as("transfer %d frame %d data", n, k)
                        .isEqualTo(ce.frameData()[k]);
                if (ce.errors()[k] != USB_NO_ERROR) {
                    nonZero++;
                    assertThat(r.comment()).contains(k + "=" + io.github.usbd4j.ce.UsbTypes.errorName(ce.errors()[k]));
                }
            }
            assertThat(r.comment()).startsWith("CE: " + io.github.usbd4j.ce.UsbTypes.errorName(ce.dwError()));
            assertThat(r.transferFlags() & Usbmon.URB_SHORT_NOT_OK).isNotZero();
        }
        assertThat(nonZero).as("frames in error: short, CRC, missed").isGreaterThan(8);
    }

    @Test
    void submissionsAndCompletions_pairUp_andEnumerationComesFirst() throws Exception {
        Path file = dir.resolve("pairs.pcapng");
        CeCaptureRun.run(file, 1L << 30);
        List<UsbmonRecord> records = CaptureReader.read(file);
        UsbmonRecord first = records.get(0);
        assertThat(first.type()).isEqualTo(Usbmon.SUBMIT);
        assertThat(first.setup()).startsWith((byte) 0x80, (byte) 6, (byte) 0, (byte) 1);
        assertThat(records.get(1).data()).hasSize(18);
        java.util.Map<Long, Character> open = new java.util.HashMap<>();
        for (UsbmonRecord r : records) {
            if (r.type() == Usbmon.SUBMIT) {
                assertThat(open.put(r.urbId(), 'S'))
                        .as("urb %x submitted twice", r.urbId())
                        .isNull();
                assertThat(r.status()).isEqualTo(Usbmon.EINPROGRESS);
            } else {
                assertThat(open.remove(r.urbId()))
                        .as("completion of urb %x", r.urbId())
                        .isNotNull();
            }
        }
        assertThat(open).isEmpty();
    }

    @Test
    void tshark_readsTheCapture_withoutWarnings_andDecodesTheIsoDescriptors() throws Exception {
        Tshark.assume();
        Path file = dir.resolve("tshark.pcapng");
        CeCaptureRun run = CeCaptureRun.run(file, 1L << 30);
        assertThat(Tshark.problems(file)).isEmpty();
        List<String[]> rows = Tshark.fields(
                file,
                "usb.urb_type",
                "usb.transfer_type",
                "usb.endpoint_address",
                "usb.iso.iso_status",
                "usb.iso.iso_len");
        List<String[]> in = new ArrayList<>();
        for (String[] r : rows) {
            if (r[0].equals("'C'") && r[1].equals("0x00") && r[2].equals("0x81")) {
                in.add(r);
            }
        }
        assertThat(rows).hasSize((int) run.captureRecords);
        assertThat(in).hasSize(CeCaptureRun.TRANSFERS);
        for (int n = 0; n < in.size(); n++) {
            CeCaptureRun.InResult ce = run.in.get(n);
            List<String> statuses = new ArrayList<>();
            List<String> lengths = new ArrayList<>();
            for (int k = 0; k < CeCaptureRun.FRAMES; k++) {
                statuses.add(String.format(Locale.ROOT, "%d", CeCaptureRun.errnoOf(ce.errors()[k])));
                lengths.add(Integer.toString(ce.lengths()[k]));
            }
            assertThat(in.get(n)[3]).as("transfer %d statuses", n).isEqualTo(String.join(",", statuses));
            assertThat(in.get(n)[4]).as("transfer %d lengths", n).isEqualTo(String.join(",", lengths));
        }
    }
}
