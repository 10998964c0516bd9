package io.github.usbd4j.host.spi;

/** The four USB transfer types, numbered as in {@code bmAttributes} bits 1:0. */
public enum TransferType {
    /** Control, 0. */
    CONTROL,
    /** Isochronous, 1. */
    ISOCHRONOUS,
    /** Bulk, 2. */
    BULK,
    /** Interrupt, 3. */
    INTERRUPT;

    private static final TransferType[] BY_CODE = values();

    /**
     * The type of an endpoint's {@code bmAttributes}.
     *
     * @param bmAttributes the attributes
     * @return bits 1:0 as a type
     */
    public static TransferType of(int bmAttributes) {
        return BY_CODE[bmAttributes & 3];
    }
}
