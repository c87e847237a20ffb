#include "config/ranking_config.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_matchers.h"
#include "config/shipped_ranking.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace portrait {
namespace {

using ::testing::HasSubstr;

// The shipped configuration changed by `change`, as text.
template <typename Change>
std::string ShippedWith(Change change) {
  v1::RankingConfig proto = RankingConfig::Shipped().proto();
  change(proto);
  return proto.DebugString();
}

TEST(RankingConfigTest, ShippedLoadsWithItsModel) {
  const RankingConfig& config = RankingConfig::Shipped();
  const IalsOptions& model = config.model_options();
  EXPECT_EQ(model.factors, config.proto().model().factors());
  EXPECT_EQ(model.iterations, config.proto().model().iterations());
  EXPECT_FLOAT_EQ(model.regularization,
                  config.proto().model().regularization());
  EXPECT_FLOAT_EQ(model.alpha, config.proto().model().alpha());
  EXPECT_EQ(model.confidence,
            config.proto().model().confidence() == v1::CONFIDENCE_LOG
                ? IalsConfidence::kLog
                : IalsConfidence::kLinear);
}

TEST(RankingConfigTest, ModelValuesOutOfRangeNameTheField) {
  using M = v1::ModelConfig;
  const struct {
    std::function<void(M&)> change;
    std::string message;
  } cases[] = {
      {[](M& m) { m.set_factors(0); }, "model.factors is 0; must be 1 to 512"},
      {[](M& m) { m.set_factors(513); }, "model.factors is 513"},
      {[](M& m) { m.set_iterations(0); },
       "model.iterations is 0; must be 1 to 100"},
      {[](M& m) { m.set_regularization(0); },
       "model.regularization is 0; must be > 0"},
      {[](M& m) { m.set_regularization(-1); }, "model.regularization is -1"},
      {[](M& m) { m.set_regularization_exponent(2.5); },
       "model.regularization_exponent is 2.5; must be 0 to 2"},
      {[](M& m) { m.set_alpha(-0.5); },
       "model.alpha is -0.5; must be 0 to 10000"},
      {[](M& m) { m.set_alpha(std::nan("")); }, "model.alpha is nan"},
      {[](M& m) { m.set_cg_steps(51); },
       "model.cg_steps is 51; must be 0 to 50"},
      {[](M& m) { m.set_confidence(v1::CONFIDENCE_UNSPECIFIED); },
       "model.confidence must be CONFIDENCE_LINEAR or CONFIDENCE_LOG"},
  };
  for (const auto& c : cases) {
    const std::string text = ShippedWith(
        [&](v1::RankingConfig& p) { c.change(*p.mutable_model()); });
    EXPECT_THAT(
        RankingConfig::FromText(text).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
}

TEST(RankingConfigTest, PushValuesOutOfRangeNameTheField) {
  using P = v1::PushConfig;
  const struct {
    std::function<void(P&)> change;
    std::string message;
  } cases[] = {
      {[](P& p) { p.set_max_per_day(0); },
       "push.max_per_day is 0; must be 1 to 100"},
      {[](P& p) { p.set_quiet_start_hour(24); },
       "push.quiet_start_hour is 24; must be 0 to 23"},
      {[](P& p) { p.set_quiet_end_hour(-1); }, "push.quiet_end_hour is -1"},
      {[](P& p) { p.set_default_time_zone("Mars/Base"); },
       "push.default_time_zone: \"Mars/Base\" is not a known IANA time zone"},
      {[](P& p) {
         p.set_non_personalized(v1::NON_PERSONALIZED_PUSH_UNSPECIFIED);
       },
       "push.non_personalized: must be"},
      {[](P& p) { p.set_check_in_storage(v1::CHECK_IN_STORAGE_UNSPECIFIED); },
       "push.check_in_storage: must be"},
  };
  for (const auto& c : cases) {
    const std::string text =
        ShippedWith([&](v1::RankingConfig& p) { c.change(*p.mutable_push()); });
    EXPECT_THAT(
        RankingConfig::FromText(text).status(),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.message;
  }
}

TEST(RankingConfigTest, TheModelSectionIsRequired) {
  const std::string text =
      ShippedWith([](v1::RankingConfig& p) { p.clear_model(); });
  EXPECT_THAT(RankingConfig::FromText(text).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("model.factors is 0")));
}

TEST(RankingConfigTest, PopularCannotBeOff) {
  const std::string text = ShippedWith([](v1::RankingConfig& p) {
    for (v1::SourceWeight& w : *p.mutable_source_weights()) {
      if (w.source() == v1::POPULAR) w.set_weight(0);
    }
  });
  EXPECT_THAT(RankingConfig::FromText(text).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("POPULAR must weigh > 0")));
}

TEST(RankingConfigTest, AConfigThatStillSetsTheRetiredFoldInItemsLoads) {
  // The user vector now uses every consented item; the old knob is reserved,
  // and the text parser skips reserved names.
  EXPECT_THAT(RankingConfig::FromText(
                  absl::StrCat(kShippedRankingConfig, "\nfold_in_items: 50\n"))
                  .status(),
              IsOk());
}

TEST(RankingConfigTest, AMissingFileIsNotFound) {
  EXPECT_THAT(
      RankingConfig::Load("/nonexistent/ranking.textproto").status(),
      StatusIs(
          absl::StatusCode::kNotFound,
          HasSubstr("ranking config file /nonexistent/ranking.textproto")));
}

TEST(RankingConfigTest, ABadFileNamesItsPathAndTheProblem) {
  const std::string path = ::testing::TempDir() + "/bad_ranking.textproto";
  {
    std::ofstream out(path);
    out << ShippedWith(
        [](v1::RankingConfig& p) { p.mutable_model()->set_factors(0); });
  }
  EXPECT_THAT(
      RankingConfig::Load(path).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(path + ": ranking config: model.factors is 0")));
}

}  // namespace
}  // namespace portrait
