// CatalogIndex: the catalog (posts, brands, people) in memory, with the
// lookups candidate sources need: posts by brand, author, tag, geo cell and
// recency; people by contact hash. Rebuilt from the catalog column at start
// and kept current by CatalogWriter's writes.
//
// Not thread-safe; PortraitIndex serialises access.
#ifndef PORTRAIT_SERVICES_PORTRAIT_CATALOG_INDEX_H_
#define PORTRAIT_SERVICES_PORTRAIT_CATALOG_INDEX_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "portrait/v1/ingest.pb.h"

namespace portrait {

// Posts ordered newest first: (-created_at_ms, label "post:ID").
using PostSet = absl::btree_set<std::pair<int64_t, std::string>>;

struct PostInfo {
  std::string post_id;
  std::string author_id;  // May be empty.
  std::string brand_id;   // May be empty.
  std::vector<std::string> tags;
  int64_t created_at_ms = 0;
  std::string cell;  // GeoCell of the location; empty if none.
};

class CatalogIndex {
 public:
  void Upsert(const v1::Item& item);
  void Delete(const v1::ItemRef& ref);

  const PostInfo* Post(absl::string_view post_id) const;
  const v1::Brand* Brand(absl::string_view brand_id) const;
  const v1::Person* Person(absl::string_view user_id) const;

  // Each empty if unknown.
  const PostSet& AllPosts() const { return all_posts_; }
  const PostSet& PostsOfBrand(absl::string_view brand_id) const;
  const PostSet& PostsOfAuthor(absl::string_view user_id) const;
  const PostSet& PostsWithTag(absl::string_view tag) const;
  const PostSet& PostsInCell(absl::string_view cell) const;
  // People with `hash` among their contact_hashes, sorted.
  const std::set<std::string>& PeopleWithContactHash(
      absl::string_view hash) const;
  const absl::flat_hash_map<std::string, v1::Brand>& brands() const {
    return brands_;
  }
  const absl::flat_hash_map<std::string, v1::Person>& people() const {
    return people_;
  }

 private:
  void IndexPost(const PostInfo& post, bool add);

  absl::flat_hash_map<std::string, PostInfo> posts_;
  absl::flat_hash_map<std::string, v1::Brand> brands_;
  absl::flat_hash_map<std::string, v1::Person> people_;
  PostSet all_posts_;
  absl::flat_hash_map<std::string, PostSet> by_brand_, by_author_, by_tag_,
      by_cell_;
  absl::flat_hash_map<std::string, std::set<std::string>> by_contact_hash_;
};

}  // namespace portrait

#endif  // PORTRAIT_SERVICES_PORTRAIT_CATALOG_INDEX_H_
