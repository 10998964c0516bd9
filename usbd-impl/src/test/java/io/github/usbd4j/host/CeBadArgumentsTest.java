package io.github.usbd4j.host;

import static io.github.usbd4j.ce.UsbTypes.*;
import static io.github.usbd4j.win32.Win32.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.UsbTransfer;
import io.github.usbd4j.contract.CeDriverFixture;
import io.github.usbd4j.contract.RecordingBackend;
import io.github.usbd4j.descriptor.UsbSpeed;
import io.github.usbd4j.sim.SimHarness;
import io.github.usbd4j.win32.Win32;
import java.nio.ByteBuffer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad arguments get CE's answer, {@code NULL}/{@code FALSE} with the Win32 last error (usb-iso-apis.md
 * §1.7, §1.8, §1.10), never an exception, and never reach the backend.
 */
class CeBadArgumentsTest {

    /** The objects a case works on: a live fixture with an OUT and an IN isochronous pipe. */
    record Ctx(UsbFuncs f, CeDriverFixture fx, UsbPipe out, UsbPipe in, UsbPipe closed, UsbTransfer closedTransfer) {}

    private CeDriverFixture fx;
    private RecordingBackend recording;
    private Ctx ctx;

    @BeforeEach
    void setUp() {
        SimHarness sim = new SimHarness();
        fx = new CeDriverFixture(sim.recording(b -> recording = new RecordingBackend(b)), Usbd.builder(), UsbSpeed.FULL)
                .plug();
        UsbFuncs f = fx.funcs;
        UsbPipe closed = fx.openIsoPipe(1, 0x01);
        f.closePipe(closed); // a stale handle: the endpoint is opened again below as a new pipe
        UsbPipe out = fx.openIsoPipe(1, 0x01);
        UsbPipe in = fx.openIsoPipe(1, 0x81);
        UsbTransfer closedTransfer = f.issueIsochTransfer(
                out, null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {8}, ByteBuffer.allocate(8), 0);
        f.closeTransfer(closedTransfer);
        ctx = new Ctx(f, fx, out, in, closed, closedTransfer);
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    static ByteBuffer buf(int n) {
        return ByteBuffer.allocate(n);
    }

    static Arguments bad(String name, int expectedError, Function<Ctx, Object> call) {
        return Arguments.of(name, expectedError, call);
    }

    static Stream<Arguments> cases() {
        int[] one = {8};
        return Stream.of(
                bad(
                        "null pipe",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().issueIsochTransfer(null, null, null, USB_START_ISOCH_ASAP, 0, 1, one, buf(8), 0)),
                bad(
                        "closed pipe",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().issueIsochTransfer(
                                        c.closed(), null, null, USB_START_ISOCH_ASAP, 0, 1, one, buf(8), 0)),
                bad(
                        "zero frames",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(c.out(), null, null, USB_START_ISOCH_ASAP, 0, 0, one, buf(8), 0)),
                bad(
                        "negative frame count (a DWORD over 2^31)",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, -1, one, buf(8), 0)),
                bad(
                        "null lengths",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, 1, null, buf(8), 0)),
                bad(
                        "fewer lengths than frames",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, 2, one, buf(16), 0)),
                bad(
                        "a length over the endpoint's limit",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(),
                                        null,
                                        null,
                                        USB_START_ISOCH_ASAP,
                                        0,
                                        1,
                                        new int[] {c.out().endpoint().maxPacketPayload() + 1},
                                        buf(4096),
                                        0)),
                bad(
                        "a zero length (CE EHCI)",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, 1, new int[] {0}, buf(8), 0)),
                bad(
                        "lengths past the buffer",
                        ERROR_INVALID_USER_BUFFER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, 2, new int[] {8, 8}, buf(15), 0)),
                bad(
                        "null buffer",
                        ERROR_INVALID_USER_BUFFER,
                        c -> c.f().issueIsochTransfer(c.out(), null, null, USB_START_ISOCH_ASAP, 0, 1, one, null, 0)),
                bad(
                        "read-only buffer for IN",
                        ERROR_INVALID_USER_BUFFER,
                        c -> c.f().issueIsochTransfer(
                                        c.in(),
                                        null,
                                        null,
                                        USB_IN_TRANSFER | USB_START_ISOCH_ASAP,
                                        0,
                                        1,
                                        one,
                                        buf(8).asReadOnlyBuffer(),
                                        0)),
                bad(
                        "a non-zero physical address",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP, 0, 1, one, buf(8), 0x1000)),
                bad(
                        "COMPRESS on OUT",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(),
                                        null,
                                        null,
                                        USB_START_ISOCH_ASAP | USB_COMPRESS_ISOCH,
                                        0,
                                        1,
                                        one,
                                        buf(8),
                                        0)),
                bad(
                        "direction flag against the endpoint",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(c.in(), null, null, USB_START_ISOCH_ASAP, 0, 1, one, buf(8), 0)),
                bad(
                        "an unknown flag bit",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueIsochTransfer(
                                        c.out(), null, null, USB_START_ISOCH_ASAP | 0x10000, 0, 1, one, buf(8), 0)),
                bad(
                        "a start frame in the past",
                        ERROR_CAN_NOT_COMPLETE,
                        c -> c.f().issueIsochTransfer(c.out(), null, null, 0, c.fx().frame() - 1, 1, one, buf(8), 0)),
                bad(
                        "bulk transfer on an isochronous pipe",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().issueBulkTransfer(c.out(), null, null, 0, 8, buf(8), 0)),
                bad(
                        "closed transfer: GetTransferStatus",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().getTransferStatus(c.closedTransfer(), new int[1], new int[1])),
                bad(
                        "closed transfer: GetIsochResults",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().getIsochResults(c.closedTransfer(), 1, new int[1], new int[1])),
                bad(
                        "closed transfer: AbortTransfer",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().abortTransfer(c.closedTransfer(), 0)),
                bad(
                        "closed transfer: CloseTransfer",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().closeTransfer(c.closedTransfer())),
                bad(
                        "closed transfer: IsTransferComplete",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().isTransferComplete(c.closedTransfer())),
                bad("null transfer", ERROR_INVALID_HANDLE, c -> c.f().getTransferStatus(null, null, null)),
                bad(
                        "GetIsochResults arrays shorter than cFrames",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().getIsochResults(c.closedTransfer(), 4, new int[1], null)),
                bad(
                        "null device: OpenPipe",
                        ERROR_INVALID_HANDLE,
                        c -> c.f().openPipe(null, c.out().endpoint())),
                bad(
                        "an endpoint already open",
                        ERROR_BUSY,
                        c -> c.f().openPipe(c.fx().device, c.out().endpoint())),
                bad("null endpoint descriptor", ERROR_INVALID_PARAMETER, c -> c.f().openPipe(c.fx().device, null)),
                bad(
                        "an endpoint the device does not have",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().openPipe(
                                        c.fx().device, io.github.usbd4j.usb.UsbEndpointDescriptor.of(0x8F, 1, 64, 1))),
                bad("closed pipe: ClosePipe", ERROR_INVALID_HANDLE, c -> c.f().closePipe(c.closed())),
                bad("null device: GetFrameNumber", ERROR_INVALID_HANDLE, c -> c.f().getFrameNumber(null, new int[1])),
                bad(
                        "GetFrameNumber without an out array",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().getFrameNumber(c.fx().device, null)),
                bad(
                        "vendor transfer buffer shorter than wLength",
                        ERROR_INVALID_USER_BUFFER,
                        c -> c.f().issueVendorTransfer(
                                        c.fx().device,
                                        null,
                                        null,
                                        USB_IN_TRANSFER,
                                        new io.github.usbd4j.usb.UsbDeviceRequest(0xC0, 1, 0, 0, 64),
                                        buf(8),
                                        0)),
                bad(
                        "SetInterface to a setting that does not exist",
                        ERROR_INVALID_PARAMETER,
                        c -> c.f().setInterface(c.fx().device, null, null, 0, 0, 99)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badArgument_returnsCeFailureWithLastError_andNeverReachesTheBackend(
            String name, int expectedError, Function<Ctx, Object> call) {
        int before = recording.submits.get();
        Win32.setLastError(0);
        Object result = call.apply(ctx);
        assertThat(result).as("CE's NULL/FALSE").isIn(null, false);
        assertThat(Win32.errorName(Win32.getLastError())).isEqualTo(Win32.errorName(expectedError));
        assertThat(recording.submits.get()).as("nothing reached the backend").isEqualTo(before);
    }
}
