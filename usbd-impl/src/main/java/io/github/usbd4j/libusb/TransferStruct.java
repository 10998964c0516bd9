package io.github.usbd4j.libusb;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.usb4java.IsoPacketDescriptor;
import org.usb4java.LibUsb;
import org.usb4java.Transfer;

/**
 * The fields of a {@code struct libusb_transfer} that a stream touches on every transfer, read and written
 * in place: the transfer's status, length, actual length, buffer address and packet count, and each
 * isochronous packet's length, actual length and status.
 *
 * <p>Why: usb4java reaches each field through a JNI call of its own, and each such call looks the Java
 * object's pointer field up by name ({@code GetObjectClass}, {@code GetFieldID}). In the project's
 * instruction-counted real-stack benchmark one call cost about 1,600 instructions, and reading an 8-packet
 * transfer's results took 17 calls: more than a third of what a hand-written usb4java loop spends per
 * packet. Here a field is one memory access.
 *
 * <p>The offsets are those of libusb's public struct for this platform's pointer size. They are used only
 * after {@link #check} has written and read every one of them, both ways, against usb4java's own accessors
 * on a transfer of its own. Memory is reached through {@code sun.misc.Unsafe} (Java 17 has no public API
 * for it; the class is looked up by name, so the library compiles against public API only), and only on
 * Java 17 to 23: from Java 24 that class prints a warning on first use. Where the check fails, on a newer
 * Java, or with {@code -Dusbd4j.libusb.directFields=false}, {@link #available()} is false and callers use
 * usb4java's accessors, which give the same results.
 *
 * <p>A caller touches only transfers it allocated and has not freed (usb4java throws for a freed one; here
 * it would be freed memory), and reads results only after libusb handed the transfer back.
 */
final class TransferStruct {
    private static final Logger LOG = LoggerFactory.getLogger(TransferStruct.class);

    /** Set to {@code false} to reach every field through usb4java's JNI accessors. */
    static final String PROPERTY = "usbd4j.libusb.directFields";

    private static final MethodHandle GET_INT;
    private static final MethodHandle PUT_INT;
    /** {@code Unsafe.getAddress} / {@code putAddress}: a native pointer, whatever its size. */
    private static final MethodHandle GET_ADDRESS;

    private static final MethodHandle PUT_ADDRESS;
    /** {@code Unsafe.getLong(Object, long)}: a direct buffer's address field. */
    private static final MethodHandle GET_OBJECT_LONG;

    private static final long BUFFER_ADDRESS_FIELD;

    // struct libusb_transfer for pointer size P: dev_handle at 0, flags/endpoint/type at P..P+2, then
    // timeout, status, length, actual_length as 4-byte ints, callback/user_data/buffer as pointers
    // (aligned to P), num_iso_packets, and the packet descriptors {length, actual_length, status}.
    private static final long STATUS;
    private static final long LENGTH;
    private static final long ACTUAL_LENGTH;
    private static final long BUFFER;
    private static final long NUM_ISO_PACKETS;
    private static final long ISO;
    private static final int ISO_SIZE = 12;

    /** Why the fields are reached through usb4java instead, or {@code null} when they are not. */
    private static final String UNAVAILABLE;

    static {
        MethodHandle getInt = null;
        MethodHandle putInt = null;
        MethodHandle getAddress = null;
        MethodHandle putAddress = null;
        MethodHandle getObjectLong = null;
        long addressField = -1;
        int pointer = 8;
        String why = null;
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            why = "-D" + PROPERTY + "=false";
        } else if (Runtime.version().feature() > 23) {
            why = "Java " + Runtime.version().feature() + " warns on sun.misc.Unsafe memory access";
        } else {
            try {
                Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
                Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
                theUnsafe.setAccessible(true);
                Object unsafe = theUnsafe.get(null);
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                getInt = lookup.findVirtual(unsafeClass, "getInt", MethodType.methodType(int.class, long.class))
                        .bindTo(unsafe);
                putInt = lookup.findVirtual(
                                unsafeClass, "putInt", MethodType.methodType(void.class, long.class, int.class))
                        .bindTo(unsafe);
                getAddress = lookup.findVirtual(
                                unsafeClass, "getAddress", MethodType.methodType(long.class, long.class))
                        .bindTo(unsafe);
                putAddress = lookup.findVirtual(
                                unsafeClass, "putAddress", MethodType.methodType(void.class, long.class, long.class))
                        .bindTo(unsafe);
                getObjectLong = lookup.findVirtual(
                                unsafeClass, "getLong", MethodType.methodType(long.class, Object.class, long.class))
                        .bindTo(unsafe);
                addressField = (long) lookup.findVirtual(
                                unsafeClass, "objectFieldOffset", MethodType.methodType(long.class, Field.class))
                        .invoke(unsafe, Buffer.class.getDeclaredField("address"));
                pointer = (int) lookup.findVirtual(unsafeClass, "addressSize", MethodType.methodType(int.class))
                        .invoke(unsafe);
            } catch (Throwable e) { // any of a dozen reflective failures: all mean "not here"
                why = "no sun.misc.Unsafe here (" + e + ")";
            }
        }
        GET_INT = getInt;
        PUT_INT = putInt;
        GET_ADDRESS = getAddress;
        PUT_ADDRESS = putAddress;
        GET_OBJECT_LONG = getObjectLong;
        BUFFER_ADDRESS_FIELD = addressField;
        STATUS = pointer + 8L;
        LENGTH = pointer + 12L;
        ACTUAL_LENGTH = pointer + 16L;
        long callback = (pointer + 20L + pointer - 1) / pointer * pointer;
        BUFFER = callback + 2L * pointer;
        NUM_ISO_PACKETS = BUFFER + pointer;
        ISO = NUM_ISO_PACKETS + 4;
        if (why == null) {
            why = check();
        }
        UNAVAILABLE = why;
        if (why == null) {
            LOG.debug("libusb transfer fields read and written in place ({}-byte pointers)", pointer);
        } else {
            LOG.debug("libusb transfer fields reached through usb4java's accessors: {}", why);
        }
    }

    private TransferStruct() {}

    /** Whether the fields may be accessed here; otherwise use usb4java's accessors. */
    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why {@link #available()} is false, if it is. */
    static Optional<String> unavailabilityCause() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    /**
     * Writes and reads every field used here, both ways, against usb4java's accessors, on a transfer of
     * its own.
     *
     * @return {@code null} when every field is where the layout says, else what was not
     */
    private static String check() {
        Transfer t;
        try {
            t = LibUsb.allocTransfer(3);
        } catch (Throwable e) { // the native library did not load: there is nothing to access either
            return "usb4java's native library is not loaded (" + e + ")";
        }
        if (t == null) {
            return "libusb could not allocate a transfer to check the layout with";
        }
        try {
            long p = t.getPointer();
            ByteBuffer b = ByteBuffer.allocateDirect(77);
            t.setNumIsoPackets(3);
            t.setBuffer(b); // the buffer's address, and its capacity as the length
            IsoPacketDescriptor[] iso = t.isoPacketDesc();
            for (int k = 0; k < 3; k++) {
                iso[k].setLength(1001 + k);
            }
            // what usb4java wrote is where the layout says
            if (buffer(p) != address(b)) {
                return "the buffer address is not at offset " + BUFFER;
            }
            if (getInt(p + LENGTH) != 77 || getInt(p + NUM_ISO_PACKETS) != 3) {
                return "length or num_iso_packets is not at offset " + LENGTH + " / " + NUM_ISO_PACKETS;
            }
            for (int k = 0; k < 3; k++) {
                if (getInt(iso(p, k)) != 1001 + k) {
                    return "iso packet " + k + "'s length is not at offset " + iso(p, k);
                }
            }
            // what is written here, by the same methods the backend and its tests use, is what usb4java reads
            complete(p, 4, 55);
            setLength(p, 66);
            setNumIsoPackets(p, 2);
            for (int k = 0; k < 3; k++) {
                setPacketLength(p, k, 2001 + k);
                completePacket(p, k, 3001 + k, k + 1);
            }
            if (t.status() != 4 || t.actualLength() != 55 || t.length() != 66 || t.numIsoPackets() != 2) {
                return "status, actual_length, length or num_iso_packets is not where the layout says";
            }
            for (int k = 0; k < 3; k++) {
                if (iso[k].length() != 2001 + k || iso[k].actualLength() != 3001 + k || iso[k].status() != k + 1) {
                    return "iso packet " + k + "'s fields are not where the layout says";
                }
            }
            return null;
        } catch (Throwable e) { // a layout this code does not know: fall back, never fail the caller
            return "the layout check failed: " + e;
        } finally {
            LibUsb.freeTransfer(t);
        }
    }

    private static long iso(long transfer, int packet) {
        return transfer + ISO + (long) packet * ISO_SIZE;
    }

    /** The transfer's {@code status} ({@code LIBUSB_TRANSFER_*}). */
    static int status(long transfer) {
        return getInt(transfer + STATUS);
    }

    /** The transfer's {@code actual_length} (bulk, interrupt, control). */
    static int actualLength(long transfer) {
        return getInt(transfer + ACTUAL_LENGTH);
    }

    /** Sets the transfer's {@code length}. */
    static void setLength(long transfer, int length) {
        putInt(transfer + LENGTH, length);
    }

    /** Sets the transfer's {@code num_iso_packets} (at most what it was allocated with). */
    static void setNumIsoPackets(long transfer, int packets) {
        putInt(transfer + NUM_ISO_PACKETS, packets);
    }

    /** Sets the transfer's {@code buffer}; the caller keeps the memory alive while it is submitted. */
    static void setBuffer(long transfer, long address) {
        putAddress(transfer + BUFFER, address);
    }

    /** The transfer's {@code buffer}. */
    static long buffer(long transfer) {
        return getAddress(transfer + BUFFER);
    }

    /** Sets packet {@code k}'s {@code length}. */
    static void setPacketLength(long transfer, int k, int length) {
        putInt(iso(transfer, k), length);
    }

    /** Packet {@code k}'s {@code actual_length}. */
    static int packetActualLength(long transfer, int k) {
        return getInt(iso(transfer, k) + 4);
    }

    /** Packet {@code k}'s {@code status}. */
    static int packetStatus(long transfer, int k) {
        return getInt(iso(transfer, k) + 8);
    }

    /** Writes a transfer's results as libusb does on completion (the layout check; tests, which have no device). */
    static void complete(long transfer, int status, int actualLength) {
        putInt(transfer + STATUS, status);
        putInt(transfer + ACTUAL_LENGTH, actualLength);
    }

    /** Writes packet {@code k}'s results as libusb does on completion (the layout check; tests). */
    static void completePacket(long transfer, int k, int actualLength, int status) {
        putInt(iso(transfer, k) + 4, actualLength);
        putInt(iso(transfer, k) + 8, status);
    }

    /** The address of a direct buffer's first byte (index 0, whatever its position). */
    static long address(ByteBuffer direct) {
        try {
            return (long) GET_OBJECT_LONG.invokeExact((Object) direct, BUFFER_ADDRESS_FIELD);
        } catch (Throwable e) {
            throw new AssertionError(e); // the handle's type is fixed above: nothing here throws
        }
    }

    private static int getInt(long address) {
        try {
            return (int) GET_INT.invokeExact(address);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static void putInt(long address, int value) {
        try {
            PUT_INT.invokeExact(address, value);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static long getAddress(long address) {
        try {
            return (long) GET_ADDRESS.invokeExact(address);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static void putAddress(long address, long value) {
        try {
            PUT_ADDRESS.invokeExact(address, value);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
