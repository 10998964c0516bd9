package io.github.usbd4j.descriptor;

/**
 * An interface association descriptor (IAD, type {@code 0x0B}, 8 bytes; {@code
 * USB_INTERFACE_ASSOCIATION_DESCRIPTOR} of {@code usb200.h}): the interfaces that form one function, as
 * UVC and UAC 2 devices declare. Find them with {@link Descriptors#interfaceAssociations}.
 *
 * @param bFirstInterface first interface number of the function
 * @param bInterfaceCount number of contiguous interfaces
 * @param bFunctionClass class code of the function
 * @param bFunctionSubClass subclass code
 * @param bFunctionProtocol protocol code
 * @param iFunction string index, 0 if none
 */
public record InterfaceAssociation(
        int bFirstInterface,
        int bInterfaceCount,
        int bFunctionClass,
        int bFunctionSubClass,
        int bFunctionProtocol,
        int iFunction) {

    /** {@code true} if interface {@code bInterfaceNumber} belongs to this function. */
    public boolean contains(int bInterfaceNumber) {
        return bInterfaceNumber >= bFirstInterface && bInterfaceNumber < bFirstInterface + bInterfaceCount;
    }
}
