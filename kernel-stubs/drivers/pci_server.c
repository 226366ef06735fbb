/*
 * pci_server.c: the PCI server, the one process with PCI configuration
 * space (through the kernel: pci_config.c). It finds every function at start-up (pci_config.c),
 * publishes itself as "pci" and serves idl/pci.idl: enumeration and configuration reads for
 * everyone; for the session that claims a device, configuration writes, command changes, and the
 * capabilities to drive it. A claim hands over a resource for exactly each of the device's BARs,
 * its interrupt line and DMA, derived from what init gave this server; it is the only way a driver
 * reaches a device. One session holds a device at a time; when the session ends (its process died,
 * say), the device is released: its bus mastering and decoding are turned off.
 *
 * Handles from init: 0 the directory, 1 the configuration ports, 2 the PCI
 * I/O window, 3 device memory, 4 the PCI interrupt lines, 5 DMA.
 */
#include "kserve.h"
#include "pci.h"
#include "pci_config.h"

#define CONFIG_PORTS   1
#define IO_WINDOW      2
#define DEVICE_MEMORY  3
#define IRQ_LINES      4
#define DMA            5
#define MAX_FUNCTIONS  64
#define DMA_PER_DEVICE (4u << 20)
#define PAGE           4096u

static struct pci_function functions[MAX_FUNCTIONS];
static int function_count;
static idl_session *claimer[MAX_FUNCTIONS]; /* the session holding each, or NULL */
static kserver server;

static int find_function(const pci_address *a)
{
	if (a->segment != 0)
		return -1;
	for (int i = 0; i < function_count; i++)
		if (functions[i].bus == a->bus && functions[i].device == a->device &&
		    functions[i].function == a->function)
			return i;
	return -1;
}

static int not_found(sys_errno *error)
{
	*error = SYS_ERRNO_NOT_FOUND;
	return IDL_E_REMOTE;
}

static pci_device_info info_of(int i)
{
	const struct pci_function *f = &functions[i];
	pci_device_info d = {
	    .address = {.segment = 0, .bus = f->bus, .device = f->device, .function = f->function},
	    .vendor_id = f->vendor_id,
	    .device_id = f->device_id,
	    .subsystem_vendor_id = f->subsystem_vendor_id,
	    .subsystem_id = f->subsystem_id,
	    .base_class = f->base_class,
	    .subclass = f->subclass,
	    .prog_if = f->prog_if,
	    .revision = f->revision,
	    .interrupt_pin = f->interrupt_pin <= 4 ? f->interrupt_pin : 0,
	    .claimed = claimer[i] != NULL,
	};
	for (int b = 0; b < PCI_BARS; b++) {
		const struct pci_bar_info *bar = &f->bars[b];
		d.bars[b] = (pci_bar){
		    .kind = bar->kind,
		    .flags = (bar->prefetchable ? PCI_BAR_FLAGS_PREFETCHABLE : 0) |
		             (bar->is64 ? PCI_BAR_FLAGS_ADDRESS_64 : 0),
		    .address = bar->base,
		    .size = bar->kind ? bar->size : 0,
		};
	}
	return d;
}

static int on_enumerate(idl_request *r, const pci_bus_enumerate_request *req,
                        pci_bus_enumerate_reply *reply, sys_errno *error)
{
	(void)r, (void)error;
	static pci_device_info batch[PCI_ENUMERATE_BATCH];
	uint32_t n = 0, i = req->cookie;
	for (; i < (uint32_t)function_count && n < PCI_ENUMERATE_BATCH; i++)
		batch[n++] = info_of((int)i);
	reply->devices.count = n;
	reply->devices.items = batch;
	reply->next_cookie = i;
	reply->done = i >= (uint32_t)function_count;
	return IDL_OK;
}

static bool matches(const pci_filter *m, const struct pci_function *f)
{
	return (!m->vendor_id.present || m->vendor_id.value == f->vendor_id) &&
	       (!m->device_id.present || m->device_id.value == f->device_id) &&
	       (!m->base_class.present || m->base_class.value == f->base_class) &&
	       (!m->subclass.present || m->subclass.value == f->subclass) &&
	       (!m->prog_if.present || m->prog_if.value == f->prog_if);
}

static int on_find(idl_request *r, const pci_bus_find_request *req, pci_bus_find_reply *reply,
                   sys_errno *error)
{
	(void)r, (void)error;
	static pci_address found[MAX_FUNCTIONS];
	uint32_t n = 0;
	for (int i = 0; i < function_count; i++)
		if (matches(&req->filter, &functions[i]))
			found[n++] = (pci_address){.bus = functions[i].bus,
			                           .device = functions[i].device,
			                           .function = functions[i].function};
	reply->devices.count = n;
	reply->devices.items = found;
	return IDL_OK;
}

/* The port mechanism reaches 256 bytes of each function's space. */
static bool access_ok(uint16_t offset, uint8_t width)
{
	return offset % width == 0 && offset + width <= PCI_CONFIG_BYTES;
}

static int on_config_read(idl_request *r, const pci_bus_config_read_request *req,
                          pci_bus_config_read_reply *reply, sys_errno *error)
{
	(void)r;
	int i = find_function(&req->address);
	if (i < 0)
		return not_found(error);
	if (!access_ok(req->offset, req->width)) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	const struct pci_function *f = &functions[i];
	reply->value = pci_config_read(f->bus, f->device, f->function, req->offset, req->width);
	return IDL_OK;
}

/* The device at address if the calling session holds it (else *err set). */
static int claimed_by(idl_request *r, const pci_address *a, sys_errno *error)
{
	int i = find_function(a);
	if (i < 0) {
		*error = SYS_ERRNO_NOT_FOUND;
		return -1;
	}
	if (claimer[i] != r->session) {
		*error = SYS_ERRNO_ACCESS;
		return -1;
	}
	return i;
}

static int on_config_write(idl_request *r, const pci_bus_config_write_request *req,
                           pci_bus_config_write_reply *reply, sys_errno *error)
{
	(void)reply;
	int i = claimed_by(r, &req->address, error);
	if (i < 0)
		return IDL_E_REMOTE;
	if (!access_ok(req->offset, req->width)) {
		*error = SYS_ERRNO_INVALID;
		return IDL_E_REMOTE;
	}
	/* The command register and the BARs are the server's (set_command). */
	uint16_t end = (uint16_t)(req->offset + req->width);
	if ((req->offset < PCI_CFG_COMMAND + 2 && end > PCI_CFG_COMMAND) ||
	    (req->offset < PCI_CFG_BAR0 + 24 && end > PCI_CFG_BAR0)) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	const struct pci_function *f = &functions[i];
	pci_config_write(f->bus, f->device, f->function, req->offset, req->width, req->value);
	return IDL_OK;
}

static uint16_t set_command_bits(int i, uint16_t enable, uint16_t disable)
{
	const struct pci_function *f = &functions[i];
	uint16_t c = (uint16_t)pci_config_read(f->bus, f->device, f->function, PCI_CFG_COMMAND, 2);
	c = (uint16_t)((c | enable) & ~disable);
	pci_config_write(f->bus, f->device, f->function, PCI_CFG_COMMAND, 2, c);
	return c;
}

static int on_set_command(idl_request *r, const pci_bus_set_command_request *req,
                          pci_bus_set_command_reply *reply, sys_errno *error)
{
	int i = claimed_by(r, &req->address, error);
	if (i < 0)
		return IDL_E_REMOTE;
	reply->command = set_command_bits(i, req->enable, req->disable) & PCI_COMMAND_MASK;
	return IDL_OK;
}

/* Turns a device off for the next driver: no bus mastering, no decoding. */
static void release(int i)
{
	set_command_bits(i, PCI_CFG_COMMAND_INTX_OFF,
	                 PCI_CFG_COMMAND_MASTER | PCI_CFG_COMMAND_IO | PCI_CFG_COMMAND_MEMORY);
	claimer[i] = NULL;
}

/* Whether BAR b of function f is one a driver can use: mappings are whole
 * pages, so a memory BAR must start a page (firmware aligns BARs to their
 * size). */
static bool bar_usable(const struct pci_function *f, int b)
{
	const struct pci_bar_info *bar = &f->bars[b];
	if (bar->kind == 1)
		return bar->base % PAGE == 0 && bar->size != 0;
	return bar->kind == 2 && bar->size != 0;
}

/* A resource handle for usable BAR b of function f (rounded up to whole
 * pages), or a negative error (the server's handles ran out). */
static long bar_resource(const struct pci_function *f, int b)
{
	const struct pci_bar_info *bar = &f->bars[b];
	if (bar->kind == 1)
		return idlk_resource_derive(DEVICE_MEMORY, bar->base,
		                            (bar->size + PAGE - 1) / PAGE * PAGE);
	return idlk_resource_derive(IO_WINDOW, bar->base, bar->size);
}

/* Closes what a claim derived before it failed: the handles go back, or
 * a client that fails claims would use up the server's table. */
static void close_claim(const pci_bus_claim_reply *reply)
{
	for (int b = 0; b < PCI_BARS; b++) {
		if (reply->memory_bars[b].present)
			idlk_handle_close((int)reply->memory_bars[b].value);
		if (reply->io_bars[b].present)
			idlk_handle_close((int)reply->io_bars[b].value);
	}
	if (reply->irq.present)
		idlk_handle_close((int)reply->irq.value);
}

static int on_claim(idl_request *r, const pci_bus_claim_request *req, pci_bus_claim_reply *reply,
                    sys_errno *error)
{
	int i = find_function(&req->address);
	if (i < 0)
		return not_found(error);
	if (claimer[i]) {
		*error = SYS_ERRNO_BUSY;
		return IDL_E_REMOTE;
	}
	const struct pci_function *f = &functions[i];
	/* The chipset's own functions place the power-management ports, PCIe's
	 * configuration window and memory maps over RAM (and the kernel refuses
	 * to write them anyway). */
	if (IDLK_PCI_CHIPSET_CLASS(f->base_class)) {
		*error = SYS_ERRNO_ACCESS;
		return IDL_E_REMOTE;
	}
	for (int b = 0; b < PCI_BARS; b++) {
		if (!bar_usable(f, b))
			continue;
		long h = bar_resource(f, b);
		if (h < 0) {
			close_claim(reply);
			*error = SYS_ERRNO_TOO_MANY;
			return IDL_E_REMOTE;
		}
		if (f->bars[b].kind == 1) {
			reply->memory_bars[b].present = true;
			reply->memory_bars[b].value = (idl_handle)h;
		} else {
			reply->io_bars[b].present = true;
			reply->io_bars[b].value = (idl_handle)h;
		}
	}
	if (f->interrupt_pin && f->interrupt_line > 0 && f->interrupt_line < 16) {
		long h = idlk_resource_derive(IRQ_LINES, f->interrupt_line, 1);
		if (h >= 0) {
			reply->irq.present = true;
			reply->irq.value = (idl_handle)h;
		}
	}
	long dma = idlk_resource_derive(DMA, 0, DMA_PER_DEVICE);
	if (dma < 0) {
		close_claim(reply);
		*error = SYS_ERRNO_TOO_MANY;
		return IDL_E_REMOTE;
	}
	reply->dma = (idl_handle)dma;
	reply->info = info_of(i);
	claimer[i] = r->session;
	reply->info.claimed = true;
	printf("pci: %02x:%02x.%x claimed by process %lu\n", f->bus, f->device, f->function,
	       (unsigned long)r->session->client);
	return IDL_OK;
}

static int on_release(idl_request *r, const pci_bus_release_request *req,
                      pci_bus_release_reply *reply, sys_errno *error)
{
	(void)reply;
	int i = claimed_by(r, &req->address, error);
	if (i < 0)
		return IDL_E_REMOTE;
	release(i);
	return IDL_OK;
}

static const pci_bus_handlers handlers = {
    .enumerate = on_enumerate,
    .find = on_find,
    .config_read = on_config_read,
    .config_write = on_config_write,
    .set_command = on_set_command,
    .claim = on_claim,
    .release = on_release,
};

/* A session that ends gives back what it claimed. */
static void session_closed(void *ctx, idl_session *session, int reason)
{
	(void)ctx, (void)reason;
	for (int i = 0; i < function_count; i++) {
		if (claimer[i] == session) {
			release(i);
			printf("pci: %02x:%02x.%x released: its driver's session ended\n",
			       functions[i].bus, functions[i].device, functions[i].function);
		}
	}
}

int umain(const char *args, long nhandles)
{
	(void)args;
	if (nhandles < 6 || !pci_config_open(CONFIG_PORTS)) {
		printf("pci: no access to configuration space\n");
		return 1;
	}
	function_count = pci_scan(functions, MAX_FUNCTIONS);
	if (kserve_init(&server, KSERVE_MAX_SESSIONS) != IDL_OK ||
	    kserve_add_interface(&server, &pci_bus_interface, &handlers, NULL) != IDL_OK) {
		printf("pci: cannot set up serving\n");
		return 1;
	}
	kserve_set_sessions(&server, NULL, session_closed, NULL);
	int err = kserve_publish(&server, "pci");
	if (err != IDL_OK) {
		printf("pci: cannot publish: %s\n", idl_error_name(err));
		return 1;
	}
	printf("pci: %d functions found; serving idl/pci.idl as \"pci\"\n", function_count);
	kserve_run(&server);
	return 0;
}
