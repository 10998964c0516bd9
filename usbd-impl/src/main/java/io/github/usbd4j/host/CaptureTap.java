package io.github.usbd4j.host;

import io.github.usbd4j.internal.capture.UsbmonPcapngWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A capture of every transfer of a {@link Usbd} into a pcapng file in the Linux usbmon format (link type
 * 220), the format Wireshark and tcpdump use for USB on Linux: open Wireshark on the file to see each
 * transfer's submission and completion, setup packets, isochronous packet descriptors (offset, length,
 * status) and data, with the status the CE caller saw (for example {@code USB_DATA_UNDERRUN_ERROR} of a
 * frame) as the completion's comment. Works on every backend, simulated or usb4java.
 *
 * <pre>{@code
 * // fragment: sim is a SimulatedHostController (or any backend); the drivers and the run are left out
 * try (Usbd usbd = Usbd.builder().backend(sim).capture(CaptureTap.toFile(Path.of("run.pcapng"))).build()) {
 *     // ... the Usbd closes the capture when it closes
 * }
 * }</pre>
 *
 * <p>The file is written as the transfers happen, through a fixed 1 MiB buffer in whole pcapng blocks, so
 * it is a valid capture at any moment (at most the last second's records are still buffered); the
 * {@link Usbd} writes the rest when it closes, also from a shutdown hook on SIGINT. A size cap bounds the
 * file: past it, records are counted ({@link #droppedRecords()}) and the count goes into the file as the
 * interface's drop count. With no capture configured the runtime pays one null check per transfer.
 */
public final class CaptureTap implements AutoCloseable {
    /** The default size cap: 1 GiB. */
    public static final long DEFAULT_MAX_BYTES = 1L << 30;

    /** The most data bytes a record keeps (and the default): 512 KiB. */
    public static final int MAX_SNAP_LENGTH = UsbmonPcapngWriter.MAX_DATA_PER_RECORD;

    private final UsbmonPcapngWriter writer;
    private final Thread onExit;

    private CaptureTap(UsbmonPcapngWriter writer) {
        this.writer = writer;
        this.onExit = new Thread(this::closeOnExit, "usbd-capture-exit");
        try {
            Runtime.getRuntime().addShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // the JVM is already exiting (a signal came while the program started): no hook can be added;
            // the Usbd the capture is given writes it when it closes, as the program stops
        }
    }

    /**
     * A capture into {@code file} (created or truncated), capped at {@link #DEFAULT_MAX_BYTES}.
     *
     * @param file the pcapng file
     * @return the capture
     * @throws IOException if the file cannot be written
     */
    public static CaptureTap toFile(Path file) throws IOException {
        return toFile(file, DEFAULT_MAX_BYTES);
    }

    /**
     * A capture into {@code file} (created or truncated) that grows to at most {@code maxBytes}.
     *
     * @param file the pcapng file
     * @param maxBytes the size cap, at least 64 KiB
     * @return the capture
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the cap is below 64 KiB
     */
    public static CaptureTap toFile(Path file, long maxBytes) throws IOException {
        return toFile(file, maxBytes, MAX_SNAP_LENGTH);
    }

    /**
     * A capture into {@code file} (created or truncated) that grows to at most {@code maxBytes} and keeps at
     * most {@code snapLength} data bytes per record, like tcpdump's {@code -s}: 0 keeps the headers, setup
     * packets and isochronous packet descriptors (lengths and statuses) only, for long runs or fast
     * streams; the records' length fields still give the whole transfers.
     *
     * @param file the pcapng file
     * @param maxBytes the size cap, at least 64 KiB
     * @param snapLength data bytes per record, 0 to {@link #MAX_SNAP_LENGTH}
     * @return the capture
     * @throws IOException if the file cannot be written
     * @throws IllegalArgumentException if the cap is below 64 KiB or the snap length out of range
     */
    public static CaptureTap toFile(Path file, long maxBytes, int snapLength) throws IOException {
        Objects.requireNonNull(file, "file");
        return new CaptureTap(new UsbmonPcapngWriter(file, maxBytes, snapLength, "usbd4j"));
    }

    /** The file. */
    public Path file() {
        return writer.file();
    }

    /** The records written so far: a submission and a completion per transfer, plus the enumeration. */
    public long records() {
        return writer.records();
    }

    /** The records left out because the file reached its size cap. */
    public long droppedRecords() {
        return writer.droppedRecords();
    }

    /** The file's size once the buffer is written. */
    public long bytes() {
        return writer.bytes();
    }

    /** Whether writing failed (disk full, file removed): the capture then stopped, and the error was logged. */
    public boolean failed() {
        return writer.failed();
    }

    /**
     * Writes what is buffered and closes the file; the {@link Usbd} it was given to does this when it closes.
     * Idempotent.
     *
     * @throws IOException if the last write fails
     */
    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs, or already ran, this close
        }
        writer.close();
    }

    /** SIGINT, SIGTERM or System.exit: write what is buffered, so that the file holds every record. */
    private void closeOnExit() {
        try {
            writer.close();
        } catch (IOException e) {
            // the process is ending; the file holds every block written before
        }
    }

    UsbmonPcapngWriter writer() {
        return writer;
    }
}
