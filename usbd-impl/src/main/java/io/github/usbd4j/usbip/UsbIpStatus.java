package io.github.usbd4j.usbip;

import io.github.usbd4j.capture.Usbmon;
import io.github.usbd4j.host.spi.PacketStatus;

/**
 * How the server reports outcomes to a USB/IP client: Linux URB status codes (negative {@code errno}
 * values, x86/arm generic numbering, as {@code vhci-hcd} gives them back to usbcore). This is the one
 * place that maps {@link PacketStatus} to them; the choice follows the kernel's
 * {@code Documentation/driver-api/usb/error-codes.rst}.
 *
 * <table>
 *   <caption>PacketStatus to URB / iso packet status</caption>
 *   <tr><th>PacketStatus</th><th>status</th><th>meaning for usbcore</th></tr>
 *   <tr><td>OK</td><td>0</td><td>success</td></tr>
 *   <tr><td>CRC</td><td>-EILSEQ (-84)</td><td>CRC mismatch</td></tr>
 *   <tr><td>BIT_STUFFING</td><td>-EPROTO (-71)</td><td>bitstuff error</td></tr>
 *   <tr><td>DATA_TOGGLE_MISMATCH, PID_CHECK_FAILURE, UNEXPECTED_PID</td><td>-EPROTO (-71)</td>
 *       <td>protocol error</td></tr>
 *   <tr><td>STALL</td><td>-EPIPE (-32)</td><td>endpoint stalled</td></tr>
 *   <tr><td>DEVICE_NOT_RESPONDING</td><td>-ETIME (-62)</td><td>no response within turn-around time</td></tr>
 *   <tr><td>DATA_OVERRUN</td><td>-EOVERFLOW (-75)</td><td>babble: more data than the packet/buffer</td></tr>
 *   <tr><td>DATA_UNDERRUN</td><td>-EREMOTEIO (-121)</td><td>short transfer with URB_SHORT_NOT_OK</td></tr>
 *   <tr><td>BUFFER_OVERRUN</td><td>-ECOMM (-70)</td><td>host could not store IN data in time</td></tr>
 *   <tr><td>BUFFER_UNDERRUN</td><td>-ENOSR (-63)</td><td>host could not supply OUT data in time</td></tr>
 *   <tr><td>NOT_ACCESSED</td><td>-EXDEV (-18)</td><td>iso packet not run (slot missed)</td></tr>
 *   <tr><td>CANCELED</td><td>-ECONNRESET (-104)</td><td>unlinked (USBIP_CMD_UNLINK)</td></tr>
 *   <tr><td>DEVICE_GONE</td><td>-ESHUTDOWN (-108)</td><td>device removed / disabled</td></tr>
 *   <tr><td>HOST_ERROR</td><td>-EIO (-5)</td><td>the backend failed otherwise</td></tr>
 * </table>
 *
 * <p>Requests the server refuses before they reach the device get {@link #EINVAL} (malformed: bad
 * lengths, iso descriptors that do not add up, wrong transfer kind for the endpoint) or {@link #ENOENT}
 * (no such endpoint in the active configuration and alternate settings), like {@code usb_submit_urb}.
 * An isochronous URB's own status is 0 unless it was unlinked or its device left; per-packet errors go
 * in the packet descriptors and {@code error_count}.
 */
public final class UsbIpStatus {
    /** No such file or directory: endpoint not found at submission. */
    public static final int ENOENT = Usbmon.ENOENT;
    /** I/O error. */
    public static final int EIO = Usbmon.EIO;
    /** Isochronous packet not transferred (slot missed). */
    public static final int EXDEV = Usbmon.EXDEV;
    /** No such device. */
    public static final int ENODEV = Usbmon.ENODEV;
    /** Invalid argument: a malformed request. */
    public static final int EINVAL = -22;
    /** Broken pipe: endpoint stalled. */
    public static final int EPIPE = Usbmon.EPIPE;
    /** Timer expired: no response. */
    public static final int ETIME = Usbmon.ETIME;
    /** Out of streams resources: buffer underrun. */
    public static final int ENOSR = Usbmon.ENOSR;
    /** Communication error on send: buffer overrun. */
    public static final int ECOMM = Usbmon.ECOMM;
    /** Protocol error. */
    public static final int EPROTO = Usbmon.EPROTO;
    /** Value too large: babble. */
    public static final int EOVERFLOW = Usbmon.EOVERFLOW;
    /** Illegal byte sequence: CRC error. */
    public static final int EILSEQ = Usbmon.EILSEQ;
    /** Connection reset: unlinked. */
    public static final int ECONNRESET = Usbmon.ECONNRESET;
    /** Cannot send after transport endpoint shutdown: device gone. */
    public static final int ESHUTDOWN = Usbmon.ESHUTDOWN;
    /** Remote I/O error: short packet where a short one was not OK. */
    public static final int EREMOTEIO = Usbmon.EREMOTEIO;

    private UsbIpStatus() {}

    /**
     * The URB or iso packet status for a simulator outcome: the errno Linux host controller drivers report
     * for it, the same that usbmon records ({@link Usbmon#errno}), so the client's kernel sees what a local
     * controller would have said.
     *
     * @param status the outcome
     * @return 0 or a negative errno
     */
    public static int of(PacketStatus status) {
        return Usbmon.errno(status);
    }
}
