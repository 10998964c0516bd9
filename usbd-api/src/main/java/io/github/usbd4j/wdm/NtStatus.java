package io.github.usbd4j.wdm;

/** The {@code NTSTATUS} values the WDM personality returns (standard {@code ntstatus.h} values). */
public final class NtStatus {
    private NtStatus() {}

    /** The operation succeeded. */
    public static final int STATUS_SUCCESS = 0x00000000;
    /** The request was accepted; the completion routine reports the outcome. */
    public static final int STATUS_PENDING = 0x00000103;
    /** The request failed; see the URB's {@code Hdr.Status}. */
    public static final int STATUS_UNSUCCESSFUL = 0xC0000001;
    /** An argument or the URB is malformed. */
    public static final int STATUS_INVALID_PARAMETER = 0xC000000D;
    /** Not enough resources. */
    public static final int STATUS_INSUFFICIENT_RESOURCES = 0xC000009A;
    /** The device is not connected. */
    public static final int STATUS_DEVICE_NOT_CONNECTED = 0xC000009D;
    /** The request was cancelled. */
    public static final int STATUS_CANCELLED = 0xC0000120;

    /** {@code NT_SUCCESS(s)}. */
    public static boolean ntSuccess(int status) {
        return status >= 0;
    }
}
