/* SPDX-License-Identifier: MIT */
/* compat/uvapi: the process and the system: directories, environment,
 * users, host, priorities, CPUs, memory, interfaces, process title. */
#include "internal.h"

#include <ctype.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/*
 * The size protocol: copy @len bytes of @src and a NUL into @buffer of
 * *@size bytes and set *@size to @len; if it does not fit, UV_ENOBUFS
 * with *@size set to @len + 1.
 */
static int
copy_out(const char *src, size_t len, char *buffer, size_t *size)
{
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  memcpy(buffer, src, len);
  buffer[len] = '\0';
  *size = len;
  return 0;
}

/* ---- environment ---------------------------------------------------------- */

int
uv_os_getenv(const char *name, char *buffer, size_t *size)
{
  const char *v;

  if (name == NULL || buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  v = getenv(name);
  if (v == NULL)
    return UV_ENOENT;
  return copy_out(v, strlen(v), buffer, size);
}

int
uv_os_setenv(const char *name, const char *value)
{
  if (name == NULL || value == NULL)
    return UV_EINVAL;
  if (setenv(name, value, 1) != 0)
    return UV__ERR(errno);
  return 0;
}

int
uv_os_unsetenv(const char *name)
{
  if (name == NULL)
    return UV_EINVAL;
  if (unsetenv(name) != 0)
    return UV__ERR(errno);
  return 0;
}

void
uv_os_free_environ(uv_env_item_t *envitems, int count)
{
  int i;

  if (envitems == NULL)
    return;
  for (i = 0; i < count; i++)
    uv__free(envitems[i].name);
  uv__free(envitems);
}

int
uv_os_environ(uv_env_item_t **envitems, int *count)
{
  uv_env_item_t *items;
  int n, i, k;

  if (envitems == NULL || count == NULL)
    return UV_EINVAL;
  *envitems = NULL;
  *count = 0;
  for (n = 0; environ[n] != NULL; n++)
    ;
  items = uv__calloc(n > 0 ? (size_t)n : 1, sizeof *items);
  if (items == NULL)
    return UV_ENOMEM;
  for (i = 0, k = 0; i < n; i++) {
    char *copy, *eq;

    if (strchr(environ[i], '=') == NULL)
      continue;
    copy = uv__strdup(environ[i]);
    if (copy == NULL) {
      uv_os_free_environ(items, k);
      return UV_ENOMEM;
    }
    eq = strchr(copy, '=');
    *eq = '\0';
    items[k].name = copy;
    items[k].value = eq + 1;
    k++;
  }
  *envitems = items;
  *count = k;
  return 0;
}

/* ---- directories ------------------------------------------------------------ */

/* The password entry of @uid into @pwd (one allocation: the strings). */
static int
get_passwd(uv_passwd_t *pwd, uid_t uid)
{
  struct passwd pw, *result;
  char *buf, *mem;
  size_t bufsize, nlen, hlen, slen;
  long initsize;
  int r;

  initsize = sysconf(_SC_GETPW_R_SIZE_MAX);
  bufsize = initsize > 0 ? (size_t)initsize : 4096;
  for (;;) {
    buf = uv__malloc(bufsize);
    if (buf == NULL)
      return UV_ENOMEM;
    do
      r = getpwuid_r(uid, &pw, buf, bufsize, &result);
    while (r == EINTR);
    if (r != ERANGE)
      break;
    uv__free(buf);
    bufsize *= 2;
  }
  if (r != 0) {
    uv__free(buf);
    return UV__ERR(r);
  }
  if (result == NULL) {
    uv__free(buf);
    return UV_ENOENT;
  }
  nlen = strlen(pw.pw_name) + 1;
  hlen = strlen(pw.pw_dir) + 1;
  slen = pw.pw_shell != NULL ? strlen(pw.pw_shell) + 1 : 1;
  mem = uv__malloc(nlen + hlen + slen);
  if (mem == NULL) {
    uv__free(buf);
    return UV_ENOMEM;
  }
  pwd->username = mem;
  memcpy(pwd->username, pw.pw_name, nlen);
  pwd->homedir = mem + nlen;
  memcpy(pwd->homedir, pw.pw_dir, hlen);
  pwd->shell = mem + nlen + hlen;
  memcpy(pwd->shell, pw.pw_shell != NULL ? pw.pw_shell : "", slen);
  pwd->uid = (long)pw.pw_uid;
  pwd->gid = (long)pw.pw_gid;
  uv__free(buf);
  return 0;
}

int
uv_os_get_passwd(uv_passwd_t *pwd)
{
  if (pwd == NULL)
    return UV_EINVAL;
  return get_passwd(pwd, geteuid());
}

void
uv_os_free_passwd(uv_passwd_t *pwd)
{
  if (pwd == NULL)
    return;
  uv__free(pwd->username); /* the block holding all three strings */
  pwd->username = NULL;
  pwd->shell = NULL;
  pwd->homedir = NULL;
}

int
uv_os_homedir(char *buffer, size_t *size)
{
  uv_passwd_t pwd;
  int r;

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  r = uv_os_getenv("HOME", buffer, size);
  if (r != UV_ENOENT)
    return r;
  r = get_passwd(&pwd, geteuid());
  if (r != 0)
    return r;
  r = copy_out(pwd.homedir, strlen(pwd.homedir), buffer, size);
  uv_os_free_passwd(&pwd);
  return r;
}

int
uv_os_tmpdir(char *buffer, size_t *size)
{
  static const char *const vars[] = { "TMPDIR", "TMP", "TEMP", "TEMPDIR" };
  const char *dir = NULL;
  size_t len, i;

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  for (i = 0; i < sizeof vars / sizeof vars[0] && dir == NULL; i++)
    dir = getenv(vars[i]);
  if (dir == NULL)
    dir = "/tmp";
  len = strlen(dir);
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  /* no trailing slash */
  if (len > 1 && dir[len - 1] == '/')
    len--;
  return copy_out(dir, len, buffer, size);
}

int
uv_cwd(char *buffer, size_t *size)
{
  char scratch[PATH_MAX + 1];
  size_t len;

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  if (getcwd(buffer, *size) == NULL) {
    if (errno != ERANGE)
      return UV__ERR(errno);
    /* too small: find out how big it must be */
    if (getcwd(scratch, sizeof scratch) == NULL)
      return UV__ERR(errno);
    len = strlen(scratch);
    if (len > 1 && scratch[len - 1] == '/')
      len--;
    *size = len + 1;
    return UV_ENOBUFS;
  }
  len = strlen(buffer);
  if (len > 1 && buffer[len - 1] == '/') {
    len--;
    buffer[len] = '\0';
  }
  *size = len;
  return 0;
}

int
uv_chdir(const char *dir)
{
  if (dir == NULL)
    return UV_EINVAL;
  if (chdir(dir) != 0)
    return UV__ERR(errno);
  return 0;
}

int
uv_exepath(char *buffer, size_t *size)
{
  ssize_t n;

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  n = (ssize_t)*size - 1;
  if (n > 0)
    n = readlink("/proc/self/exe", buffer, (size_t)n);
  if (n < 0)
    return UV__ERR(errno);
  buffer[n] = '\0';
  *size = (size_t)n;
  return 0;
}

/* ---- host, process ------------------------------------------------------- */

uv_pid_t uv_os_getpid(void) { return getpid(); }
uv_pid_t uv_os_getppid(void) { return getppid(); }

int
uv_os_gethostname(char *buffer, size_t *size)
{
  char buf[UV_MAXHOSTNAMESIZE];

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  if (gethostname(buf, sizeof buf) != 0)
    return UV__ERR(errno);
  buf[sizeof buf - 1] = '\0';
  return copy_out(buf, strlen(buf), buffer, size);
}

/* Copy @src into the 256-byte field @dst: UV_E2BIG if it does not fit. */
static int
uname_field(char *dst, const char *src)
{
  size_t n = strlen(src);

  if (n >= 256)
    return UV_E2BIG;
  memcpy(dst, src, n + 1);
  return 0;
}

int
uv_os_uname(uv_utsname_t *buffer)
{
  struct utsname u;
  int r;

  if (buffer == NULL)
    return UV_EINVAL;
  if (uname(&u) == -1) {
    r = UV__ERR(errno);
    goto fail;
  }
  if ((r = uname_field(buffer->sysname, u.sysname)) != 0 ||
      (r = uname_field(buffer->release, u.release)) != 0 ||
      (r = uname_field(buffer->version, u.version)) != 0 ||
      (r = uname_field(buffer->machine, u.machine)) != 0)
    goto fail;
  return 0;
fail:
  buffer->sysname[0] = '\0';
  buffer->release[0] = '\0';
  buffer->version[0] = '\0';
  buffer->machine[0] = '\0';
  return r;
}

int
uv_os_getpriority(uv_pid_t pid, int *priority)
{
  int r;

  if (priority == NULL)
    return UV_EINVAL;
  errno = 0;
  r = getpriority(PRIO_PROCESS, (id_t)pid);
  if (r == -1 && errno != 0)
    return UV__ERR(errno);
  *priority = r;
  return 0;
}

int
uv_os_setpriority(uv_pid_t pid, int priority)
{
  if (priority < UV_PRIORITY_HIGHEST || priority > UV_PRIORITY_LOW)
    return UV_EINVAL;
  if (setpriority(PRIO_PROCESS, (id_t)pid, priority) != 0)
    return UV__ERR(errno);
  return 0;
}

/* ---- CPUs and memory ----------------------------------------------------- */

unsigned int
uv_available_parallelism(void)
{
  cpu_set_t set;
  long n;

  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    n = CPU_COUNT(&set);
    if (n > 0)
      return (unsigned int)n;
  }
  n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned int)n : 1;
}

/* A whole small file into @buf (NUL-terminated); its length or -1. */
static ssize_t
read_small_file(const char *path, char *buf, size_t len)
{
  FILE *f = fopen(path, "re");
  size_t n;

  if (f == NULL)
    return -1;
  n = fread(buf, 1, len - 1, f);
  fclose(f);
  buf[n] = '\0';
  return (ssize_t)n;
}

/* The value in kB of the /proc/meminfo line starting with @what, in bytes; 0 if none. */
static uint64_t
meminfo(const char *what)
{
  char line[256];
  uint64_t v = 0;
  size_t wlen = strlen(what);
  FILE *f = fopen("/proc/meminfo", "re");

  if (f == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long long kb;

    if (strncmp(line, what, wlen) == 0 && sscanf(line + wlen, " %llu", &kb) == 1) {
      v = (uint64_t)kb * 1024;
      break;
    }
  }
  fclose(f);
  return v;
}

uint64_t
uv_get_free_memory(void)
{
  struct sysinfo info;
  uint64_t v = meminfo("MemAvailable:");

  if (v != 0)
    return v;
  if (sysinfo(&info) == 0)
    return (uint64_t)info.freeram * info.mem_unit;
  return 0;
}

uint64_t
uv_get_total_memory(void)
{
  struct sysinfo info;
  uint64_t v = meminfo("MemTotal:");

  if (v != 0)
    return v;
  if (sysinfo(&info) == 0)
    return (uint64_t)info.totalram * info.mem_unit;
  return 0;
}

/* The number in the file @path; 0 when absent, "max", or not a number. */
static uint64_t
read_limit(const char *path)
{
  char buf[64];
  unsigned long long v;

  if (read_small_file(path, buf, sizeof buf) <= 0)
    return 0;
  if (sscanf(buf, "%llu", &v) != 1)
    return 0;
  return (uint64_t)v;
}

/* Whether the comma-separated controller list @list names "memory". */
static int
names_memory(const char *list, size_t len)
{
  while (len > 0) {
    const char *comma = memchr(list, ',', len);
    size_t n = comma != NULL ? (size_t)(comma - list) : len;

    if (n == 6 && strncmp(list, "memory", 6) == 0)
      return 1;
    if (comma == NULL)
      break;
    len -= n + 1;
    list = comma + 1;
  }
  return 0;
}

/*
 * The memory limit of the process's control group: with cgroup v1 (the
 * "N:memory:/path" line of /proc/self/cgroup) memory.limit_in_bytes of that
 * group (or of the mount's root, where a cgroup namespace hides the path),
 * where the "unlimited" value (LONG_MAX rounded down to a page) means none;
 * with cgroup v2 (the "0::/path" line) its memory.max, "max" meaning none.
 */
uint64_t
uv_get_constrained_memory(void)
{
  char buf[4096], path[4200];
  char *line, *save = NULL;
  const char *v1 = NULL, *v2 = NULL;
  uint64_t v, unlimited;
  long page = sysconf(_SC_PAGESIZE);

  if (read_small_file("/proc/self/cgroup", buf, sizeof buf) <= 0)
    return 0;
  for (line = strtok_r(buf, "\n", &save); line != NULL;
       line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;

    if (c2 == NULL)
      continue;
    if (strncmp(line, "0::", 3) == 0)
      v2 = c2 + 1;
    else if (names_memory(c1 + 1, (size_t)(c2 - c1 - 1)))
      v1 = c2 + 1;
  }
  if (v1 != NULL) {
    if (page <= 0)
      page = 4096;
    unlimited = (uint64_t)LONG_MAX / (uint64_t)page * (uint64_t)page;
    snprintf(path, sizeof path,
             "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
             strcmp(v1, "/") == 0 ? "" : v1);
    v = read_limit(path);
    if (v == 0)
      v = read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    return v == unlimited ? 0 : v;
  }
  if (v2 != NULL) {
    snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max",
             strcmp(v2, "/") == 0 ? "" : v2);
    return read_limit(path); /* "max" reads as 0 */
  }
  return 0;
}

int
uv_resident_set_memory(size_t *rss)
{
  char buf[2048];
  const char *p;
  long pages;
  int i;

  if (rss == NULL)
    return UV_EINVAL;
  if (read_small_file("/proc/self/stat", buf, sizeof buf) < 0)
    return UV__ERR(errno);
  /* skip "pid (comm)": comm may hold spaces and parentheses */
  p = strrchr(buf, ')');
  if (p == NULL)
    return UV_EINVAL;
  p++;
  /* the fields after ")" start at field 3; rss is field 24 */
  for (i = 3; i < 24; i++) {
    p = strchr(p + 1, ' ');
    if (p == NULL)
      return UV_EINVAL;
  }
  pages = strtol(p + 1, NULL, 10);
  if (pages < 0)
    return UV_EINVAL;
  *rss = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
  return 0;
}

void
uv_free_cpu_info(uv_cpu_info_t *cpu_infos, int count)
{
  int i;

  if (cpu_infos == NULL)
    return;
  for (i = 0; i < count; i++)
    uv__free(cpu_infos[i].model);
  uv__free(cpu_infos);
}

/*
 * Fill the model and the speed (0 if not listed) of the @n CPUs of @ci,
 * whose processor numbers are @nums, from one pass over /proc/cpuinfo.
 * 0 or UV_ENOMEM.
 */
static int
cpuinfo_fill(uv_cpu_info_t *ci, const unsigned int *nums, int n)
{
  char line[512];
  int cur = -1, i;
  FILE *f;

  f = fopen("/proc/cpuinfo", "re");
  if (f != NULL) {
    while (fgets(line, sizeof line, f) != NULL) {
      char *colon = strchr(line, ':');
      char *val;
      size_t klen;

      if (colon == NULL)
        continue;
      val = colon + 1;
      while (*val == ' ' || *val == '\t')
        val++;
      val[strcspn(val, "\n")] = '\0';
      klen = (size_t)(colon - line);
      while (klen > 0 && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
        klen--;
      if (klen == 9 && strncmp(line, "processor", 9) == 0) {
        unsigned long num = strtoul(val, NULL, 10);

        cur = -1;
        for (i = 0; i < n; i++)
          if (nums[i] == num)
            cur = i;
      } else if (cur >= 0) {
        if (((klen == 10 && strncmp(line, "model name", 10) == 0) ||
             (klen == 9 && strncmp(line, "Processor", 9) == 0)) &&
            ci[cur].model == NULL) {
          ci[cur].model = uv__strdup(val);
          if (ci[cur].model == NULL) {
            fclose(f);
            return UV_ENOMEM;
          }
        } else if (klen == 7 && strncmp(line, "cpu MHz", 7) == 0 &&
                   ci[cur].speed == 0) {
          ci[cur].speed = (int)strtol(val, NULL, 10);
        }
      }
    }
    fclose(f);
  }
  for (i = 0; i < n; i++) {
    if (ci[i].model == NULL) {
      ci[i].model = uv__strdup("unknown");
      if (ci[i].model == NULL)
        return UV_ENOMEM;
    }
  }
  return 0;
}

int
uv_cpu_info(uv_cpu_info_t **cpu_infos, int *count)
{
  char line[512], path[128], buf[64];
  unsigned long long user, nice, sys, idle, iowait, irq;
  uint64_t mult;
  uv_cpu_info_t *ci = NULL;
  unsigned int *nums = NULL;
  int n = 0, cap = 0, r, i;
  long ticks;
  FILE *f;

  if (cpu_infos == NULL || count == NULL)
    return UV_EINVAL;
  *cpu_infos = NULL;
  *count = 0;
  ticks = sysconf(_SC_CLK_TCK);
  mult = ticks > 0 ? (uint64_t)(1000 / ticks) : 10;
  if (mult == 0)
    mult = 1;
  f = fopen("/proc/stat", "re");
  if (f == NULL)
    return UV__ERR(errno);
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned int num;

    if (strncmp(line, "cpu", 3) != 0 || !isdigit((unsigned char)line[3]))
      continue;
    iowait = irq = 0;
    if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu", &num, &user,
               &nice, &sys, &idle, &iowait, &irq) < 5)
      continue;
    if (n == cap) {
      int ncap = cap > 0 ? cap * 2 : 8;
      uv_cpu_info_t *nci;
      unsigned int *nnums;

      nci = uv__realloc(ci, (size_t)ncap * sizeof *ci);
      if (nci == NULL) {
        r = UV_ENOMEM;
        goto fail;
      }
      ci = nci;
      nnums = uv__realloc(nums, (size_t)ncap * sizeof *nums);
      if (nnums == NULL) {
        r = UV_ENOMEM;
        goto fail;
      }
      nums = nnums;
      cap = ncap;
    }
    memset(&ci[n], 0, sizeof ci[n]);
    nums[n] = num;
    ci[n].cpu_times.user = (uint64_t)user * mult;
    ci[n].cpu_times.nice = (uint64_t)nice * mult;
    ci[n].cpu_times.sys = (uint64_t)sys * mult;
    ci[n].cpu_times.idle = (uint64_t)idle * mult;
    ci[n].cpu_times.irq = (uint64_t)irq * mult;
    n++;
  }
  fclose(f);
  f = NULL;
  if (n == 0) {
    r = UV_ENOSYS;
    goto fail;
  }
  /* model and speed from /proc/cpuinfo ("cpu MHz" on x86), as libuv;
   * where it gives no speed, cpufreq's current frequency */
  r = cpuinfo_fill(ci, nums, n);
  if (r != 0)
    goto fail;
  for (i = 0; i < n; i++) {
    if (ci[i].speed != 0)
      continue;
    snprintf(path, sizeof path,
             "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", nums[i]);
    if (read_small_file(path, buf, sizeof buf) > 0) {
      long khz = strtol(buf, NULL, 10);

      if (khz > 0)
        ci[i].speed = (int)(khz / 1000);
    }
  }
  uv__free(nums);
  *cpu_infos = ci;
  *count = n;
  return 0;
fail:
  if (f != NULL)
    fclose(f);
  uv_free_cpu_info(ci, n);
  uv__free(nums);
  return r;
}

/* ---- network interfaces ------------------------------------------------- */

/* Whether @ent is listed: up, running, with an address; packet ones are
 * the link-layer addresses (@packet selects those instead). */
static int
ifaddr_listed(const struct ifaddrs *ent, int packet)
{
  if (!(ent->ifa_flags & IFF_UP) || !(ent->ifa_flags & IFF_RUNNING))
    return 0;
  if (ent->ifa_addr == NULL)
    return 0;
  if (ent->ifa_addr->sa_family == AF_PACKET)
    return packet;
  if (ent->ifa_addr->sa_family != AF_INET && ent->ifa_addr->sa_family != AF_INET6)
    return 0;
  return !packet;
}

void
uv_free_interface_addresses(uv_interface_address_t *addresses, int count)
{
  int i;

  if (addresses == NULL)
    return;
  for (i = 0; i < count; i++)
    uv__free(addresses[i].name);
  uv__free(addresses);
}

int
uv_interface_addresses(uv_interface_address_t **addresses, int *count)
{
  struct ifaddrs *addrs, *ent;
  uv_interface_address_t *a;
  int n = 0, i;

  if (addresses == NULL || count == NULL)
    return UV_EINVAL;
  *addresses = NULL;
  *count = 0;
  if (getifaddrs(&addrs) != 0)
    return UV__ERR(errno);
  for (ent = addrs; ent != NULL; ent = ent->ifa_next)
    if (ifaddr_listed(ent, 0))
      n++;
  if (n == 0) {
    freeifaddrs(addrs);
    return 0;
  }
  a = uv__calloc((size_t)n, sizeof *a);
  if (a == NULL) {
    freeifaddrs(addrs);
    return UV_ENOMEM;
  }
  i = 0;
  for (ent = addrs; ent != NULL; ent = ent->ifa_next) {
    if (!ifaddr_listed(ent, 0))
      continue;
    a[i].name = uv__strdup(ent->ifa_name);
    if (a[i].name == NULL) {
      uv_free_interface_addresses(a, i);
      freeifaddrs(addrs);
      return UV_ENOMEM;
    }
    if (ent->ifa_addr->sa_family == AF_INET6) {
      memcpy(&a[i].address.address6, ent->ifa_addr, sizeof a[i].address.address6);
      if (ent->ifa_netmask != NULL)
        memcpy(&a[i].netmask.netmask6, ent->ifa_netmask, sizeof a[i].netmask.netmask6);
    } else {
      memcpy(&a[i].address.address4, ent->ifa_addr, sizeof a[i].address.address4);
      if (ent->ifa_netmask != NULL)
        memcpy(&a[i].netmask.netmask4, ent->ifa_netmask, sizeof a[i].netmask.netmask4);
    }
    a[i].is_internal = (ent->ifa_flags & IFF_LOOPBACK) != 0;
    i++;
  }
  /* the link-layer addresses, by interface name */
  for (ent = addrs; ent != NULL; ent = ent->ifa_next) {
    const struct sockaddr_ll *sll;
    int j;

    if (!ifaddr_listed(ent, 1))
      continue;
    sll = (const struct sockaddr_ll *)(const void *)ent->ifa_addr;
    for (j = 0; j < n; j++)
      if (strcmp(a[j].name, ent->ifa_name) == 0)
        memcpy(a[j].phys_addr, sll->sll_addr, sizeof a[j].phys_addr);
  }
  freeifaddrs(addrs);
  *addresses = a;
  *count = n;
  return 0;
}

int
uv_if_indextoname(unsigned int ifindex, char *buffer, size_t *size)
{
  char name[IF_NAMESIZE + 1];

  if (buffer == NULL || size == NULL || *size == 0)
    return UV_EINVAL;
  if (if_indextoname(ifindex, name) == NULL)
    return UV__ERR(errno);
  name[IF_NAMESIZE] = '\0';
  return copy_out(name, strlen(name), buffer, size);
}

int
uv_if_indextoiid(unsigned int ifindex, char *buffer, size_t *size)
{
  return uv_if_indextoname(ifindex, buffer, size);
}

/* ---- process title ---------------------------------------------------------- */

/*
 * uv_setup_args() moves the argument strings to a copy and keeps the
 * original area (argv[0] up to the end of the last contiguous string) for
 * the title, which it starts as argv[0]. The mutex makes the title calls
 * safe from any thread.
 */
static pthread_mutex_t title_lock = PTHREAD_MUTEX_INITIALIZER;
static char *title_str;     /* the original argument area */
static size_t title_cap;    /* its size */
static size_t title_len;
/* what uv_setup_args() returned (volatile: kept, never read, so that leak
 * checkers see it referenced) */
static char **volatile args_copy;

char **
uv_setup_args(int argc, char **argv)
{
  char **copy;
  char *s;
  size_t size, cap;
  int i;

  if (argc <= 0 || argv == NULL || argv[0] == NULL)
    return argv;
  /* the area: contiguous strings from argv[0] on */
  cap = strlen(argv[0]) + 1;
  for (i = 1; i < argc && argv[i] == argv[0] + cap; i++)
    cap += strlen(argv[i]) + 1;
  size = (size_t)(argc + 1) * sizeof(char *);
  for (i = 0; i < argc; i++)
    size += strlen(argv[i]) + 1;
  copy = malloc(size); /* never freed: it outlives every user of it */
  if (copy == NULL)
    return argv;
  s = (char *)&copy[argc + 1];
  for (i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]) + 1;

    memcpy(s, argv[i], n);
    copy[i] = s;
    s += n;
  }
  copy[argc] = NULL;
  pthread_mutex_lock(&title_lock);
  title_str = argv[0];
  title_cap = cap;
  title_len = strlen(argv[0]);
  args_copy = copy; /* an earlier copy stays: the program may still use it */
  pthread_mutex_unlock(&title_lock);
  return copy;
}

int
uv_set_process_title(const char *title)
{
  size_t len;

  if (title == NULL)
    return UV_EINVAL;
  pthread_mutex_lock(&title_lock);
  if (title_str == NULL) {
    pthread_mutex_unlock(&title_lock);
    return UV_ENOBUFS;
  }
  len = strlen(title);
  if (len >= title_cap)
    len = title_cap - 1;
  memcpy(title_str, title, len);
  memset(title_str + len, '\0', title_cap - len);
  title_len = len;
  prctl(PR_SET_NAME, title_str);
  pthread_mutex_unlock(&title_lock);
  return 0;
}

int
uv_get_process_title(char *buffer, size_t size)
{
  if (buffer == NULL || size == 0)
    return UV_EINVAL;
  pthread_mutex_lock(&title_lock);
  if (title_str == NULL || size <= title_len) {
    pthread_mutex_unlock(&title_lock);
    return UV_ENOBUFS;
  }
  memcpy(buffer, title_str, title_len);
  buffer[title_len] = '\0';
  pthread_mutex_unlock(&title_lock);
  return 0;
}
