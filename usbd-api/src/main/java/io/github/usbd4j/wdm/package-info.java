/**
 * The WDM/KMDF isochronous URB personality (<a href="{@docRoot}/../reference/wdm.html#s3">§3</a>): {@code
 * USBD_IsochUrbAllocate} / {@code USBD_UrbFree}, the {@code _URB_ISOCH_TRANSFER} with its packet descriptors, transfer
 * flags, submission with a completion routine, and per-packet {@code USBD_STATUS} results. Calls return {@code
 * NTSTATUS} values ({@link io.github.usbd4j.wdm.NtStatus}).
 */
package io.github.usbd4j.wdm;
