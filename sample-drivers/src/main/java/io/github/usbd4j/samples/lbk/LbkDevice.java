package io.github.usbd4j.samples.lbk;

import io.github.usbd4j.ce.UsbFuncs;
import io.github.usbd4j.ce.UsbHandle;
import io.github.usbd4j.ce.UsbPipe;
import io.github.usbd4j.ce.devmgr.ActivationHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loopback device, shared by the two edges of the driver (CE's {@code LBK_DEVICE}): the USB side
 * creates it in {@code USBDeviceAttach} and hands it to {@code ActivateDeviceEx} as {@code lpvParam}; the
 * stream side receives it in {@code LBK_Init} and returns it as its device context.
 */
public final class LbkDevice {
    final UsbFuncs funcs;
    final UsbHandle device;
    final UsbPipe bulkOut;
    final UsbPipe bulkIn;
    /** Unplugged (USB_CLOSE_DEVICE) or being deactivated (LBK_PreDeinit): I/O fails from now on. */
    volatile boolean gone;

    volatile ActivationHandle stream;
    volatile String activeKey;
    /** How long a read waits for data, in milliseconds (LBK_Init, from the device key). */
    volatile int readTimeout;
    /** How long a write or a control request waits for the device to take it, in milliseconds (LBK_Init). */
    volatile int writeTimeout;

    /** The calls waiting for their transfer, which LBK_PreClose and LBK_PreDeinit wake (guarded by itself). */
    final List<LbkStream.Pending> pending = new ArrayList<>();

    // guarded by opens
    final List<LbkStream.Open> opens = new ArrayList<>();

    final AtomicInteger bytesWritten = new AtomicInteger();
    final AtomicInteger bytesRead = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger deinits = new AtomicInteger();

    LbkDevice(UsbFuncs funcs, UsbHandle device, UsbPipe bulkOut, UsbPipe bulkIn) {
        this.funcs = funcs;
        this.device = device;
        this.bulkOut = bulkOut;
        this.bulkIn = bulkIn;
    }

    /** The stream device ActivateDeviceEx returned, {@code null} before. */
    public ActivationHandle streamDevice() {
        return stream;
    }

    /** The Active key LBK_Init was given, e.g. {@code "Drivers\Active\01"}. */
    public String activeKey() {
        return activeKey;
    }

    /** {@code true} once USB_CLOSE_DEVICE or LBK_PreDeinit was seen. */
    public boolean isGone() {
        return gone;
    }

    /** {@code true} while a read waits in the bulk IN pipe. */
    public boolean readPending() {
        synchronized (pending) {
            return pending.stream().anyMatch(p -> p.read);
        }
    }

    /** How many calls wait for their transfer now: reads, writes and control requests. */
    public int transfersPending() {
        synchronized (pending) {
            return pending.size();
        }
    }

    /** How many times LBK_Deinit ran for this device: 0 while loaded, then exactly 1. */
    public int deinits() {
        return deinits.get();
    }

    /** The handles LBK_Open opened and LBK_Close has not closed. */
    public int openHandles() {
        synchronized (opens) {
            return opens.size();
        }
    }
}
