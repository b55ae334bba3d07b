#include "export/shard_writer.h"

#include "export/mds_format.h"
#include "export/tar_header.h"
#include "ferry/error.h"

namespace ferry::exporting {
namespace {

bool is_lost_error(const Error& e) {
  return e.kind() == ErrorKind::kCorruption || e.kind() == ErrorKind::kNotEnoughDrives;
}

nlohmann::json filtered(const nlohmann::json& hashes, const std::vector<std::string>& names) {
  nlohmann::json out = nlohmann::json::object();
  for (const std::string& n : names) out[n] = hashes.at(n);
  return out;
}

}  // namespace

std::optional<ShardFileInfo> ShardWriter::write(size_t shard, uint64_t first,
                                                std::vector<std::string>& lost) {
  ShardFile file(o_.target, plan_.names[shard], plan_.raw_size[shard], o_.zstd, hashes_);
  failed_ = false;
  const auto& samples = plan_.samples.samples;
  const uint64_t count = plan_.counts[shard];
  if (o_.format == ExportFormat::kMds) {
    std::vector<uint64_t> sizes;
    for (uint64_t j = 0; j < count; ++j) sizes.push_back(plan_.cost[plan_.order[first + j]] - 4);
    file.write(mds_shard_head(sizes, plan_.config));
  }
  for (uint64_t j = 0; j < count; ++j) {
    const Sample& s = samples[plan_.order[first + j]];
    if (o_.format == ExportFormat::kWebDataset) {
      write_tar_sample(file, s, lost);
    } else {
      write_mds_sample(file, s, lost);
    }
  }
  if (o_.format == ExportFormat::kWebDataset && !failed_) {
    file.write(std::string(kTarEndBytes, '\0'));
  }
  if (failed_) {
    file.discard();
    return std::nullopt;
  }
  return file.commit();
}

void ShardWriter::copy_file(ShardFile& out, const SampleFile& f, std::vector<std::string>& lost) {
  uint64_t done = 0;
  for (;;) {
    FilePrefetcher::Chunk chunk = prefetch_->next();
    if (chunk.error) {
      if (!is_lost_error(*chunk.error)) throw *chunk.error;
      lost.push_back(f.entry.path);
      failed_ = true;
      progress_.bytes_done += f.entry.size - done;
      break;
    }
    if (!failed_) out.write(chunk.data.data(), chunk.data.size());
    done += chunk.data.size();
    progress_.bytes_done += chunk.data.size();
    bool last = chunk.last;
    prefetch_->recycle(std::move(chunk.data));
    if (last) break;
  }
  ++progress_.files_done;
}

void ShardWriter::write_tar_sample(ShardFile& out, const Sample& s,
                                   std::vector<std::string>& lost) {
  for (const SampleFile& f : s.files) {
    if (!failed_) out.write(tar_header(tar_member(f)));
    copy_file(out, f, lost);
    if (!failed_) out.write(std::string(tar_padding(f.entry.size), '\0'));
  }
}

void ShardWriter::write_mds_sample(ShardFile& out, const Sample& s,
                                   std::vector<std::string>& lost) {
  // Column i holds the key, a file, or nothing.
  std::vector<const SampleFile*> column(plan_.columns.names.size(), nullptr);
  size_t key_column = 0;
  for (size_t i = 0; i < column.size(); ++i) {
    const std::string& name = plan_.columns.names[i];
    if (name == kMdsKeyColumn) {
      key_column = i;
      continue;
    }
    for (const SampleFile& f : s.files) {
      if (f.ext == name) column[i] = &f;
    }
  }
  std::string sizes;
  for (size_t i = 0; i < column.size(); ++i) {
    uint64_t n = i == key_column ? s.key.size() : column[i] ? column[i]->entry.size : 0;
    put_u32(sizes, static_cast<uint32_t>(n));
  }
  if (!failed_) out.write(sizes);
  for (size_t i = 0; i < column.size(); ++i) {
    if (i == key_column) {
      if (!failed_) out.write(s.key);
    } else if (column[i]) {
      copy_file(out, *column[i], lost);
    }
  }
}

nlohmann::json mds_index_entry(const Plan& plan, const ExportOptions& o, size_t shard,
                               const ShardFileInfo& info, const std::vector<std::string>& hashes) {
  nlohmann::json entry = nlohmann::json::parse(plan.config);
  std::string raw_name = plan.names[shard];
  if (o.zstd) raw_name = raw_name.substr(0, raw_name.size() - 5);  // without ".zstd"
  entry["samples"] = plan.counts[shard];
  entry["raw_data"] = {{"basename", raw_name},
                       {"bytes", info.raw_bytes},
                       {"hashes", filtered(info.raw_hashes, hashes)}};
  entry["zip_data"] = nullptr;
  if (o.zstd) {
    entry["zip_data"] = {{"basename", plan.names[shard]},
                         {"bytes", info.file_bytes},
                         {"hashes", filtered(info.file_hashes, hashes)}};
  }
  return entry;
}

}  // namespace ferry::exporting
