#include "redis/budget_logic.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace cleanlist::redis {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    s.push_back(digits[p[i] >> 4]);
    s.push_back(digits[p[i] & 15]);
  }
  return s;
}

} // namespace

std::string identity_hash(std::string_view salt, std::string_view identity) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(identity.data()), identity.size(), md, &len);
  return to_hex(md, 16);
}

std::string script_sha1(std::string_view script) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(script.data(), script.size(), md, &len, EVP_sha1(), nullptr);
  return to_hex(md, len);
}

budget_keys make_budget_keys(std::string_view prefix, std::string_view salt, std::string_view key_identity,
                             std::string_view org_identity) {
  const std::string org = std::string(prefix) + ":{" + identity_hash(salt, org_identity) + "}:";
  budget_keys k;
  k.key_log = org + "key:" + identity_hash(salt, key_identity);
  k.org_log = org + "org";
  k.key_pause = k.key_log + ":pause";
  k.org_pause = k.org_log + ":pause";
  return k;
}

// Redis's clock: a grant is recorded at the script's TIME. If that clock steps BACK, older
// entries look younger and are kept longer: more conservative, still correct. A step FORWARD
// by d lets older entries age out d early, once (Redis hosts should slew with NTP, not step).
// Numbers going back into Redis are formatted with %.0f: Lua's default number-to-string
// (%.14g) would round microsecond timestamps (16 digits).
const std::string_view acquire_script = R"lua(-- cleanlist shared budget: acquire (sliding log, both budgets or none)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[3])
local limits = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local wait, why = 0, 0
local pauses = redis.call('MGET', KEYS[3], KEYS[4])
for i = 1, 2 do
  if pauses[i] then
    local w = tonumber(pauses[i]) - now
    if w > wait then wait, why = w, 3 end
  end
end
for i = 1, 2 do
  local n = limits[i]
  if n > 0 then
    -- the n-th most recent grant: one more is allowed iff it is at least span old (or absent)
    local e = redis.call('ZRANGE', KEYS[i], -n, -n, 'WITHSCORES')
    if e[2] then
      local w = tonumber(e[2]) + span - now
      if w > wait then wait, why = w, i end
    end
  end
end
if wait > 0 then
  return { 0, string.format('%.0f', wait), why, string.format('%.0f', now) }
end
local s = string.format('%.0f', now)
local ttl = string.format('%.0f', math.max(1, math.ceil(span / 1000)))
for i = 1, 2 do
  if limits[i] > 0 then
    redis.call('ZADD', KEYS[i], s, ARGV[4])
    -- keep the last n grants only (window_budget's ring): the one dropped is older than span
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(limits[i] + 1))
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return { 1, s, 0, string.format('%.0f', now) }
)lua";

// Fair variant: the same rule plus a ticket queue per budget (KEYS 5-6: ZSET ticket -> time
// of its first denial; KEYS 7-8: ZSET ticket -> deadline of its next retry). A caller holding
// the ticket of rank r (r older live tickets) may only take slot r + 1: the (r + 1)-th slot
// of the log to free (now if the log has that many free places; for r >= n, q = r / n more
// spans after place r + 1 - q n frees: the older tickets take the places before). So waiting callers are
// served in the order they were first denied, whatever their retry latency; a caller without
// a ticket ranks behind all of them. A ticket whose holder did not retry by its deadline
// (wait + grace) is dropped. A place that frees earlier than announced (a release) goes to
// whoever comes first, unless older tickets are due now (announced time passed) and need it:
// granted also when places free now > older tickets due now.
// ARGV: nkey norg span_us member ticket grace_us.
const std::string_view acquire_fair_script = R"lua(-- cleanlist shared budget: fair acquire (ticket queue)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[3])
local ticket = ARGV[5]
local grace = tonumber(ARGV[6])
local limits = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local wait, why = 0, 0
local pauses = redis.call('MGET', KEYS[3], KEYS[4])
for i = 1, 2 do
  if pauses[i] then
    local w = tonumber(pauses[i]) - now
    if w > wait then wait, why = w, 3 end
  end
end
for i = 1, 2 do
  local n = limits[i]
  if n > 0 then
    local q, dl = KEYS[4 + i], KEYS[6 + i]
    local stale = redis.call('ZRANGEBYSCORE', dl, '-inf', string.format('%.0f', now))
    for _, m in ipairs(stale) do
      redis.call('ZREM', q, m)
      redis.call('ZREM', dl, m)
    end
    local r = redis.call('ZRANK', q, ticket)
    if not r then r = redis.call('ZCARD', q) end
    -- slot j = r + 1 = rounds * n + jj: place jj of the log frees now (fewer than n grants
    -- kept) or when the matching grant (ascending) ages out of the span; `rounds` more rounds
    -- of n take that many more spans (the older tickets take the places before it)
    local c = redis.call('ZCARD', KEYS[i])
    local rounds = math.floor(r / n)
    local jj = r + 1 - rounds * n
    local at = now
    local idx = jj - (n - c) - 1
    if idx >= 0 then
      local e = redis.call('ZRANGE', KEYS[i], idx, idx, 'WITHSCORES')
      if e[2] then at = math.max(now, tonumber(e[2]) + span) end
    end
    local w = at + rounds * span - now
    if w > 0 then
      -- A place freed earlier than announced (a release) goes to whoever comes, unless an
      -- older ticket is due now: places free now > older tickets due now.
      local recent = redis.call('ZCOUNT', KEYS[i], '(' .. string.format('%.0f', now - span), '+inf')
      local due = 0
      if r > 0 then
        for _, m in ipairs(redis.call('ZRANGE', q, 0, r - 1)) do
          local d = redis.call('ZSCORE', dl, m)
          if d and tonumber(d) - grace <= now then due = due + 1 end
        end
      end
      if n - recent > due then w = 0 end
    end
    if w > wait then wait, why = w, i end
  end
end
if wait > 0 then
  for i = 1, 2 do
    if limits[i] > 0 then
      redis.call('ZADD', KEYS[4 + i], 'NX', string.format('%.0f', now), ticket)
      redis.call('ZADD', KEYS[6 + i], string.format('%.0f', now + wait + grace), ticket)
      -- TTLs only grow: a shorter wait told now must not expire older tickets' places
      local ttl_ms = math.ceil((wait + grace) / 1000) + 1
      for _, qk in ipairs({ KEYS[4 + i], KEYS[6 + i] }) do
        if redis.call('PTTL', qk) < ttl_ms then redis.call('PEXPIRE', qk, string.format('%.0f', ttl_ms)) end
      end
    end
  end
  return { 0, string.format('%.0f', wait), why, string.format('%.0f', now) }
end
local s = string.format('%.0f', now)
local lttl = string.format('%.0f', math.max(1, math.ceil(span / 1000)))
for i = 1, 2 do
  if limits[i] > 0 then
    redis.call('ZREM', KEYS[4 + i], ticket)
    redis.call('ZREM', KEYS[6 + i], ticket)
    redis.call('ZADD', KEYS[i], s, ARGV[4])
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(limits[i] + 1))
    redis.call('PEXPIRE', KEYS[i], lttl)
  end
end
return { 1, s, 0, string.format('%.0f', now) }
)lua";

const std::string_view release_script = R"lua(-- cleanlist shared budget: release a grant never used
return redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
)lua";

const std::string_view pause_script = R"lua(-- cleanlist shared budget: shared "not before" (Retry-After)
local ms = tonumber(ARGV[1])
if ms <= 0 then return 0 end
local t = redis.call('TIME')
local till = tonumber(t[1]) * 1000000 + tonumber(t[2]) + ms * 1000
for i = 1, 2 do
  local p = redis.call('GET', KEYS[i])
  if not p or tonumber(p) < till then
    redis.call('SET', KEYS[i], string.format('%.0f', till), 'PX', string.format('%.0f', ms))
  end
end
return string.format('%.0f', till)
)lua";

std::vector<std::string> acquire_args(std::string_view sha, const budget_keys& k, const budget_limits& l,
                                      std::string_view member) {
  const auto span_us = std::chrono::duration_cast<std::chrono::microseconds>(l.span()).count();
  return {"EVALSHA", std::string(sha), "4", k.key_log, k.org_log, k.key_pause, k.org_pause,
          std::to_string(l.per_key), std::to_string(l.per_org), std::to_string(span_us), std::string(member)};
}

std::vector<std::string> acquire_fair_args(std::string_view sha, const budget_keys& k, const budget_limits& l,
                                           std::string_view member, std::string_view ticket,
                                           std::chrono::milliseconds grace) {
  const auto span_us = std::chrono::duration_cast<std::chrono::microseconds>(l.span()).count();
  return {"EVALSHA", std::string(sha), "8", k.key_log, k.org_log, k.key_pause, k.org_pause,
          k.key_log + ":q", k.org_log + ":q", k.key_log + ":q:dl", k.org_log + ":q:dl",
          std::to_string(l.per_key), std::to_string(l.per_org), std::to_string(span_us), std::string(member),
          std::string(ticket), std::to_string(grace.count() * 1000)};
}

std::vector<std::string> release_args(std::string_view sha, const budget_keys& k, std::string_view member) {
  return {"EVALSHA", std::string(sha), "2", k.key_log, k.org_log, std::string(member)};
}

std::vector<std::string> pause_args(std::string_view sha, const budget_keys& k, std::chrono::milliseconds retry_after) {
  return {"EVALSHA", std::string(sha), "2", k.key_pause, k.org_pause, std::to_string(retry_after.count())};
}

namespace {

bool as_int(const reply& r, std::int64_t& v) {
  if (r.type == reply::kind::integer) {
    v = r.integer;
    return true;
  }
  if (r.type != reply::kind::string || r.str.empty()) return false;
  try {
    std::size_t pos = 0;
    v = std::stoll(r.str, &pos);
    return pos == r.str.size();
  } catch (...) {
    return false;
  }
}

} // namespace

acquire_decision decode_acquire(const reply& r, boost::system::error_code& ec) {
  acquire_decision d;
  ec = {};
  if (r.is_error()) {
    ec = errc::server_error;
    return d;
  }
  std::int64_t flag = 0, value = 0, why = 0, now = 0;
  if (r.type != reply::kind::array || r.elements.size() != 4 || !as_int(r.elements[0], flag) ||
      !as_int(r.elements[1], value) || !as_int(r.elements[2], why) || !as_int(r.elements[3], now) ||
      (flag != 0 && flag != 1) || why < 0 || why > 3) {
    ec = errc::unexpected_reply;
    return d;
  }
  d.granted = flag == 1;
  d.server_now_us = now;
  if (d.granted) {
    d.granted_at_us = value;
  } else {
    d.wait_us = value;
    d.reason = static_cast<limited_by>(why);
  }
  return d;
}

} // namespace cleanlist::redis
