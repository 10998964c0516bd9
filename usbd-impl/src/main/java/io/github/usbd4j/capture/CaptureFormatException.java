package io.github.usbd4j.capture;

import java.io.IOException;

/** A capture file is not a pcap or pcapng file of usbmon records, or it is damaged; the message says where. */
public final class CaptureFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, and where
     */
    public CaptureFormatException(String message) {
        super(message);
    }
}
