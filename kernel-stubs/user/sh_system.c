/*
 * sh_system.c: the shell's commands about the system rather than files:
 * lspci, kill (a server, which init starts again), and the start-up.
 */
#include "console_client.h"
#include "kserve.h"
#include "pci.h"
#include "sh.h"

static void print_bar(int b, const pci_bar *bar)
{
	if (bar->kind == PCI_BAR_KIND_MEMORY)
		printf("  bar%d memory %lx+%lx%s%s\n", b, (unsigned long)bar->address,
		       (unsigned long)bar->size,
		       bar->flags & PCI_BAR_FLAGS_ADDRESS_64 ? " 64-bit" : "",
		       bar->flags & PCI_BAR_FLAGS_PREFETCHABLE ? " prefetchable" : "");
	else if (bar->kind == PCI_BAR_KIND_IO)
		printf("  bar%d io %lx+%lx\n", b, (unsigned long)bar->address,
		       (unsigned long)bar->size);
}

int sh_lspci(int argc, char **argv)
{
	(void)argc, (void)argv;
	static idl_endpoint *pci;
	if (!pci)
		pci = kserve_connect("pci", PCI_BUS_PROTOCOL);
	if (!pci) {
		printf("lspci: no PCI server\n");
		return 1;
	}
	uint32_t cookie = 0;
	for (;;) {
		pci_bus_enumerate_request req = {.cookie = cookie};
		static pci_bus_enumerate_reply_buffer rb;
		const pci_bus_enumerate_reply *reply;
		sys_errno error;
		int err = pci_bus_enumerate(pci, &req, &rb, &reply, &error);
		if (err != IDL_OK) {
			printf("lspci: %s\n",
			       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
			return 1;
		}
		for (uint32_t i = 0; i < reply->devices.count; i++) {
			const pci_device_info *d = &reply->devices.items[i];
			printf("%02x:%02x.%x %04x:%04x class %02x:%02x:%02x%s\n", d->address.bus,
			       d->address.device, d->address.function, d->vendor_id, d->device_id,
			       d->base_class, d->subclass, d->prog_if,
			       d->claimed ? " (claimed)" : "");
			for (int b = 0; b < 6; b++)
				print_bar(b, &d->bars[b]);
		}
		if (reply->done)
			return 0;
		cookie = reply->next_cookie;
	}
}

/*
 * kill SERVICE: asks init to end the server published as SERVICE; init
 * starts it again, and the command returns once the new instance answers a
 * lookup (at most 5 s), so that the next command meets it.
 */
int sh_kill(int argc, char **argv)
{
	(void)argc; /* sh.c checked the count (commands[]) */
	idl_endpoint *dir = kserve_directory();
	sys_supervisor_restart_request req = {
	    .name = {.size = (uint32_t)strlen(argv[1]), .data = argv[1]}};
	sys_supervisor_restart_reply_buffer rb;
	const sys_supervisor_restart_reply *reply;
	sys_errno error;
	int err = dir ? sys_supervisor_restart(dir, &req, &rb, &reply, &error) : IDL_E_TRANSPORT;
	if (err != IDL_OK) {
		printf("kill: %s: %s\n", argv[1],
		       err == IDL_E_REMOTE ? sys_errno_name(error) : idl_error_name(err));
		return 1;
	}
	for (int tries = 0; tries < 100; tries++) {
		static volatile uint32_t never;
		idlk_futex_wait(&never, 0, 50 * 1000 * 1000);
		kchan *probe = kserve_connect_chan(argv[1], 0, &error);
		/* ACCESS: published, but not for the shell (the link driver). */
		if (probe || error == SYS_ERRNO_ACCESS) {
			if (probe)
				kserve_disconnect(probe);
			printf("kill: %s ended; init started it again\n", argv[1]);
			return 0;
		}
	}
	printf("kill: %s ended and is not back\n", argv[1]);
	return 1;
}

int sh_connect(void)
{
	return console_client_connect();
}
