package io.github.usbd4j.samples.iso;

import static io.github.usbd4j.ce.UsbTypes.USB_NOT_ACCESSED_ERROR;
import static io.github.usbd4j.ce.UsbTypes.USB_NO_ERROR;

import io.github.usbd4j.ce.UsbTypes;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an isochronous stream did, frame by frame (<a href="{@docRoot}/../reference/ce-usbd.html#s1-8">§1.8</a> {@code
 * GetIsochResults}).
 *
 * <p>"Frames" are the entries of the per-frame length arrays: one 1 ms frame on a full-speed pipe, one
 * service interval (microframe slot) on a high-speed pipe.
 *
 * @param endpoint the endpoint address, or -1 for a sum over several endpoints
 * @param transfers transfers completed (including cancelled ones)
 * @param frames frames the bus reported on (cancelled frames the bus never reached excluded)
 * @param bytes bytes the bus reported transferred in those frames
 * @param errorsByName frames whose {@code USB_ERROR} was not {@code USB_NO_ERROR}, by error name
 * @param missed late or missed frames: {@code USB_NOT_ACCESSED_ERROR}, included in {@code errorsByName}
 * @param canceled frames left {@code USB_NOT_COMPLETE_ERROR} because their transfer was cancelled
 * @param failedIssues {@code IssueIsochTransfer} calls that returned {@code null}
 */
public record StreamStats(
        int endpoint,
        long transfers,
        long frames,
        long bytes,
        Map<String, Long> errorsByName,
        long missed,
        long canceled,
        long failedIssues) {

    /** Copies the map, sorted by name. */
    public StreamStats {
        errorsByName = Map.copyOf(errorsByName);
    }

    /** No frames. */
    public static StreamStats empty(int endpoint) {
        return new StreamStats(endpoint, 0, 0, 0, Map.of(), 0, 0, 0);
    }

    /** Frames with an error of any kind. */
    public long errorFrames() {
        return errorsByName.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Frames of this error, 0 if none. */
    public long errors(int usbError) {
        return errorsByName.getOrDefault(UsbTypes.errorName(usbError), 0L);
    }

    /** The sum of two summaries; the endpoint is kept only if both have the same. */
    public StreamStats plus(StreamStats o) {
        Map<String, Long> m = new TreeMap<>(errorsByName);
        o.errorsByName.forEach((k, v) -> m.merge(k, v, Long::sum));
        return new StreamStats(
                endpoint == o.endpoint ? endpoint : -1,
                transfers + o.transfers,
                frames + o.frames,
                bytes + o.bytes,
                m,
                missed + o.missed,
                canceled + o.canceled,
                failedIssues + o.failedIssues);
    }

    /**
     * One line: {@code frames 10000, bytes 2560000, errors 12 (USB_CRC_ERROR 11, USB_NOT_ACCESSED_ERROR 1),
     * late/missed 1}.
     */
    public String summary() {
        StringBuilder s = new StringBuilder();
        s.append("frames ")
                .append(frames)
                .append(", bytes ")
                .append(bytes)
                .append(", errors ")
                .append(errorFrames());
        if (!errorsByName.isEmpty()) {
            s.append(" (");
            String sep = "";
            for (Map.Entry<String, Long> e : new TreeMap<>(errorsByName).entrySet()) {
                s.append(sep).append(e.getKey()).append(' ').append(e.getValue());
                sep = ", ";
            }
            s.append(')');
        }
        s.append(", late/missed ").append(missed);
        if (canceled > 0) {
            s.append(", cancelled ").append(canceled);
        }
        if (failedIssues > 0) {
            s.append(", failed issues ").append(failedIssues);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return (endpoint < 0 ? "all" : String.format("0x%02X", endpoint)) + ": " + summary();
    }

    /** A mutable, thread-confined (callers synchronize) accumulator. */
    static final class Counter {
        private final int endpoint;
        private long transfers;
        private long frames;
        private long bytes;
        private final Map<String, Long> errors = new TreeMap<>();
        private long missed;
        private long canceled;
        private long failedIssues;

        Counter(int endpoint) {
            this.endpoint = endpoint;
        }

        void transfer() {
            transfers++;
        }

        void frame(int length, int usbError) {
            frames++;
            bytes += length;
            if (usbError != USB_NO_ERROR) {
                errors.merge(UsbTypes.errorName(usbError), 1L, Long::sum);
                if (usbError == USB_NOT_ACCESSED_ERROR) {
                    missed++;
                }
            }
        }

        void canceled() {
            canceled++;
        }

        void failedIssue() {
            failedIssues++;
        }

        StreamStats snapshot() {
            return new StreamStats(endpoint, transfers, frames, bytes, errors, missed, canceled, failedIssues);
        }
    }
}
