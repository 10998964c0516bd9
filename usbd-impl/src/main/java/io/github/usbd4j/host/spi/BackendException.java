package io.github.usbd4j.host.spi;

/** A backend operation failed; carries the {@link PacketStatus} that describes why. */
public class BackendException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient PacketStatus status;

    /**
     * @param message what failed
     * @param status why, e.g. {@link PacketStatus#DEVICE_GONE}
     */
    public BackendException(String message, PacketStatus status) {
        super(message);
        this.status = status;
    }

    /**
     * @param message what failed
     * @param status why
     * @param cause the underlying failure
     */
    public BackendException(String message, PacketStatus status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** Why it failed. */
    public PacketStatus status() {
        return status;
    }
}
