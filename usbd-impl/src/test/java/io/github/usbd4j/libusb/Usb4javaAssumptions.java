package io.github.usbd4j.libusb;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What a test of the usb4java backend needs of this host, skipped with the reason where it is missing. */
final class Usb4javaAssumptions {
    private Usb4javaAssumptions() {}

    /** usb4java's native library loads here. */
    static void assumeNativeLibrary() {
        assumeTrue(
                LibusbHostController.isAvailable(),
                () -> "usb4java cannot load here: "
                        + LibusbHostController.unavailabilityCause().orElseThrow());
    }

    /** A libusb transfer's fields can be read and written in place here ({@link TransferStruct}). */
    static void assumeFieldsInPlace() {
        assumeNativeLibrary();
        assumeTrue(
                TransferStruct.available(),
                () -> TransferStruct.unavailabilityCause().orElseThrow());
    }
}
