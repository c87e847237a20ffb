#include "services/portrait/catalog_index.h"

#include "absl/strings/str_cat.h"
#include "models/features.h"

namespace portrait {
namespace {

template <typename Map>
const typename Map::mapped_type& FindOrEmpty(const Map& map,
                                             absl::string_view key) {
  static const auto* const empty = new typename Map::mapped_type();
  auto it = map.find(key);
  return it == map.end() ? *empty : it->second;
}

template <typename Map, typename Value>
void AddOrRemove(Map& map, const std::string& key, const Value& value,
                 bool add) {
  if (add) {
    map[key].insert(value);
    return;
  }
  auto it = map.find(key);
  if (it == map.end()) return;
  it->second.erase(value);
  if (it->second.empty()) map.erase(it);
}

PostInfo ToInfo(const v1::Post& post) {
  PostInfo info;
  info.post_id = post.post_id();
  info.author_id = post.author_id();
  info.brand_id = post.brand_id();
  info.tags.assign(post.tags().begin(), post.tags().end());
  info.created_at_ms = post.created_at_ms();
  if (post.has_location()) {
    info.cell =
        GeoCell(post.location().latitude(), post.location().longitude());
  }
  return info;
}

}  // namespace

void CatalogIndex::IndexPost(const PostInfo& post, bool add) {
  const std::pair<int64_t, std::string> entry(
      -post.created_at_ms, absl::StrCat("post:", post.post_id));
  if (add) {
    all_posts_.insert(entry);
  } else {
    all_posts_.erase(entry);
  }
  if (!post.brand_id.empty()) AddOrRemove(by_brand_, post.brand_id, entry, add);
  if (!post.author_id.empty())
    AddOrRemove(by_author_, post.author_id, entry, add);
  if (!post.cell.empty()) AddOrRemove(by_cell_, post.cell, entry, add);
  for (const std::string& tag : post.tags)
    AddOrRemove(by_tag_, tag, entry, add);
}

void CatalogIndex::Upsert(const v1::Item& item) {
  switch (item.kind_case()) {
    case v1::Item::kPost: {
      v1::ItemRef ref;
      ref.set_kind(v1::ITEM_POST);
      ref.set_id(item.post().post_id());
      Delete(ref);
      PostInfo info = ToInfo(item.post());
      IndexPost(info, true);
      posts_[info.post_id] = std::move(info);
      break;
    }
    case v1::Item::kBrand:
      brands_[item.brand().brand_id()] = item.brand();
      break;
    case v1::Item::kPerson: {
      v1::ItemRef ref;
      ref.set_kind(v1::ITEM_USER);
      ref.set_id(item.person().user_id());
      Delete(ref);
      const v1::Person& person = item.person();
      for (const std::string& hash : person.contact_hashes()) {
        by_contact_hash_[hash].insert(person.user_id());
      }
      people_[person.user_id()] = person;
      break;
    }
    case v1::Item::KIND_NOT_SET:
      break;
  }
}

void CatalogIndex::Delete(const v1::ItemRef& ref) {
  switch (ref.kind()) {
    case v1::ITEM_POST: {
      auto it = posts_.find(ref.id());
      if (it == posts_.end()) return;
      IndexPost(it->second, false);
      posts_.erase(it);
      break;
    }
    case v1::ITEM_BRAND:
      brands_.erase(ref.id());
      break;
    case v1::ITEM_USER: {
      auto it = people_.find(ref.id());
      if (it == people_.end()) return;
      for (const std::string& hash : it->second.contact_hashes()) {
        AddOrRemove(by_contact_hash_, hash, ref.id(), false);
      }
      people_.erase(it);
      break;
    }
    default:
      break;
  }
}

const PostInfo* CatalogIndex::Post(absl::string_view post_id) const {
  auto it = posts_.find(post_id);
  return it == posts_.end() ? nullptr : &it->second;
}

const v1::Brand* CatalogIndex::Brand(absl::string_view brand_id) const {
  auto it = brands_.find(brand_id);
  return it == brands_.end() ? nullptr : &it->second;
}

const v1::Person* CatalogIndex::Person(absl::string_view user_id) const {
  auto it = people_.find(user_id);
  return it == people_.end() ? nullptr : &it->second;
}

const PostSet& CatalogIndex::PostsOfBrand(absl::string_view brand_id) const {
  return FindOrEmpty(by_brand_, brand_id);
}
const PostSet& CatalogIndex::PostsOfAuthor(absl::string_view user_id) const {
  return FindOrEmpty(by_author_, user_id);
}
const PostSet& CatalogIndex::PostsWithTag(absl::string_view tag) const {
  return FindOrEmpty(by_tag_, tag);
}
const PostSet& CatalogIndex::PostsInCell(absl::string_view cell) const {
  return FindOrEmpty(by_cell_, cell);
}
const std::set<std::string>& CatalogIndex::PeopleWithContactHash(
    absl::string_view hash) const {
  return FindOrEmpty(by_contact_hash_, hash);
}

}  // namespace portrait
