package io.github.usbd4j.samples.lbk;

import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_ANY_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_DEVICE_UNKNOWN;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_READ_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.FILE_WRITE_ACCESS;
import static io.github.usbd4j.ce.devmgr.WinIoCtl.METHOD_BUFFERED;

import io.github.usbd4j.ce.devmgr.WinIoCtl;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the {@code LBK} driver and its applications share, as a CE driver's {@code lbkioctl.h} would hold
 * it: the control codes and the layout of the statistics.
 */
public final class LbkIoctl {
    private LbkIoctl() {}

    /** The device name prefix: the loopback devices are {@code LBK1:}, {@code LBK2:}, ... */
    public static final String PREFIX = "LBK";

    /**
     * {@code CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)}: out, the
     * {@link Stats} ({@value #STATS_SIZE} bytes). Any handle may ask, also one opened with access 0.
     */
    public static final int IOCTL_LBK_GET_STATS =
            WinIoCtl.ctlCode(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);

    /**
     * {@code CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_WRITE_ACCESS)}: empties the device's
     * queues and zeroes the counters; the handle needs {@code GENERIC_WRITE} ({@code ERROR_ACCESS_DENIED}
     * otherwise, checked by the driver: CE's device manager does not).
     */
    public static final int IOCTL_LBK_RESET =
            WinIoCtl.ctlCode(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_WRITE_ACCESS);

    /**
     * {@code CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)}:
     * in, bytes to send; out, the bytes that come back (at most the output size); the bytes returned are the
     * bytes read. The handle needs both accesses.
     */
    public static final int IOCTL_LBK_TRANSACT =
            WinIoCtl.ctlCode(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS);

    /** Bytes of {@code LBK_STATS}: six little-endian {@code DWORD}s. */
    public static final int STATS_SIZE = 24;

    /**
     * {@code LBK_STATS}: the driver's counters since the device arrived or the last reset, and the device's
     * own bulk counters (vendor request 2 of the loopback device).
     *
     * @param bytesWritten bytes WriteFile sent
     * @param bytesRead bytes ReadFile returned
     * @param writes successful WriteFile calls
     * @param reads successful ReadFile calls
     * @param deviceBytesOut bulk bytes the device received
     * @param deviceBytesIn bulk bytes the device sent
     */
    public record Stats(int bytesWritten, int bytesRead, int writes, int reads, int deviceBytesOut, int deviceBytesIn) {

        /**
         * Reads {@code LBK_STATS} from {@code b} at {@code offset}.
         *
         * @param b the buffer
         * @param offset where the structure starts
         * @return the statistics
         */
        public static Stats read(ByteBuffer b, int offset) {
            ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            return new Stats(
                    le.getInt(offset),
                    le.getInt(offset + 4),
                    le.getInt(offset + 8),
                    le.getInt(offset + 12),
                    le.getInt(offset + 16),
                    le.getInt(offset + 20));
        }

        /**
         * Writes {@code LBK_STATS} into {@code b} from index 0.
         *
         * @param b at least {@value #STATS_SIZE} bytes
         */
        public void write(ByteBuffer b) {
            ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            le.putInt(0, bytesWritten)
                    .putInt(4, bytesRead)
                    .putInt(8, writes)
                    .putInt(12, reads)
                    .putInt(16, deviceBytesOut)
                    .putInt(20, deviceBytesIn);
        }
    }
}
