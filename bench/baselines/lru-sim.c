/*
 * Baseline for bench/replay.ts: a plain C simulator of one LRU tier under kvtier's prefix rule,
 * reading Mooncake JSONL. It is what a C cache simulator does end to end (parse, then
 * look up and update a hash map plus a linked list per block reference), so kvtier's end-to-end
 * replay time can be compared with it in the same run on the same machine.
 *
 * usage: lru-sim TRACE CAPACITY_BLOCKS   → prints "refs hits seconds cpuSeconds"
 * (wall time, and the process's CPU time, which moves less with a neighbour's load)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { int64_t key; int32_t prev, next; } Node;

static int64_t *table_keys;
static int32_t *table_nodes;
static size_t table_mask;
static Node *nodes;
static int32_t head = -1, tail = -1, used = 0;

static size_t slot_of(int64_t key) {
  size_t h = (size_t)(key * 0x9E3779B97F4A7C15ULL) & table_mask;
  while (table_nodes[h] != -1 && table_keys[h] != key) h = (h + 1) & table_mask;
  return h;
}

static void unlink_node(int32_t n) {
  if (nodes[n].prev != -1) nodes[nodes[n].prev].next = nodes[n].next; else head = nodes[n].next;
  if (nodes[n].next != -1) nodes[nodes[n].next].prev = nodes[n].prev; else tail = nodes[n].prev;
}

static void push_tail(int32_t n) {
  nodes[n].prev = tail;
  nodes[n].next = -1;
  if (tail != -1) nodes[tail].next = n; else head = n;
  tail = n;
}

static void erase_key(int64_t key) {
  size_t hole = slot_of(key), next = (hole + 1) & table_mask;
  while (table_nodes[next] != -1) {
    size_t home = (size_t)(table_keys[next] * 0x9E3779B97F4A7C15ULL) & table_mask;
    if (((hole - home) & table_mask) < ((next - home) & table_mask)) {
      table_keys[hole] = table_keys[next];
      table_nodes[hole] = table_nodes[next];
      hole = next;
    }
    next = (next + 1) & table_mask;
  }
  table_nodes[hole] = -1;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s TRACE CAPACITY\n", argv[0]); return 2; }
  struct timespec t0, t1, cpu0, cpu1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
  int32_t capacity = atoi(argv[2]);
  FILE *file = fopen(argv[1], "rb");
  if (!file) { perror(argv[1]); return 1; }
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  char *text = malloc(size + 1);
  if (fread(text, 1, size, file) != (size_t)size) return 1;
  text[size] = 0;
  fclose(file);
  size_t slots = 1;
  while (slots < (size_t)capacity * 2 + 2) slots <<= 1;
  table_mask = slots - 1;
  table_keys = malloc(slots * sizeof *table_keys);
  table_nodes = malloc(slots * sizeof *table_nodes);
  memset(table_nodes, -1, slots * sizeof *table_nodes);
  nodes = malloc((size_t)capacity * sizeof *nodes);
  int64_t ids[65536];
  long refs = 0, hits = 0;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    char *p = strstr(line, "\"hash_ids\"");
    int n = 0;
    if (p && p < end) {
      p = strchr(p, '[') + 1;
      while (*p != ']' && n < 65536) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ']') break;
        ids[n++] = strtoll(p, &p, 10);
      }
    }
    int prefix = 1;
    for (int i = 0; i < n; i++) {  /* lookup: the longest cached prefix */
      if (!prefix) break;
      size_t s = slot_of(ids[i]);
      if (table_nodes[s] == -1) prefix = 0; else hits++;
    }
    for (int i = 0; i < n; i++) {  /* accesses, first to last */
      size_t s = slot_of(ids[i]);
      int32_t node = table_nodes[s];
      if (node != -1) { unlink_node(node); push_tail(node); continue; }
      if (used == capacity) {
        node = head;
        unlink_node(node);
        erase_key(nodes[node].key);
        s = slot_of(ids[i]);
      } else {
        node = used++;
      }
      nodes[node].key = ids[i];
      table_keys[s] = ids[i];
      table_nodes[s] = node;
      push_tail(node);
    }
    refs += n;
    line = *end ? end + 1 : end;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
  printf("%ld %ld %.6f %.6f\n", refs, hits, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
         (cpu1.tv_sec - cpu0.tv_sec) + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e9);
  return 0;
}
