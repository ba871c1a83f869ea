// The bundled summary-sheet forms: their layout in millimetres and how the
// business system prints them (Chinese labels in WenQuanYi Zen Hei, rulings,
// the Code 128 of the transaction). Two layouts on purpose: boxes in two
// columns, and a ruled table, so that neither form registers as the other.
#include <ZXing/BarcodeFormat.h>
#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>

#include <cmath>
#include <cstdio>
#include <opencv2/freetype.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

#include "tests/support/summary_forms.h"
#include "tests/support/typesetting.h"

namespace scangate::synth {
namespace {

constexpr const char* kFontFile = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";
constexpr double kModuleMm = 0.33, kBarsHeightMm = 12;
constexpr double kBoxStrokeMm = 0.3, kInsetMm = 1.5;

cv::freetype::FreeType2& Font() {
  // One per thread: FreeType faces are not thread-safe.
  thread_local cv::Ptr<cv::freetype::FreeType2> font = [] {
    auto f = cv::freetype::createFreeType2();
    f->loadFontData(kFontFile, 0);
    return f;
  }();
  return *font;
}

// A printed box: its outline and the label in its top-left corner.
struct LabelledBox {
  std::string name, label;
  BoxMm box;
  BoxMm Writing() const {
    return {box.x + kInsetMm, box.y + 6.5, box.width - 2 * kInsetMm, box.height - 6.5 - kInsetMm};
  }
};

// A row of a ruled table: label cell on the left, writing cell on the right.
struct TableRow {
  std::string name, label;
  BoxMm cell;  // the writing cell
  BoxMm Writing() const {
    return {cell.x + kInsetMm, cell.y + kInsetMm, cell.width - 2 * kInsetMm,
            cell.height - 2 * kInsetMm};
  }
};

struct PensionClaimLayout {
  std::vector<LabelledBox> fields, signatures, seals;
  BoxMm barcode{116, 8, 78, 30};
  PensionClaimLayout() {
    const char* names[][2] = {{"applicant_name", "申请人姓名"},     {"citizen_id", "公民身份号码"},
                              {"social_security_card", "社会保障卡号"}, {"phone", "联系电话"},
                              {"address", "居住地址"},              {"bank_name", "开户银行"},
                              {"bank_account", "银行账号"},         {"benefit_type", "待遇类别"}};
    for (int i = 0; i < 8; ++i)
      fields.push_back({names[i][0], names[i][1], {i % 2 ? 107.0 : 20.0, 52.0 + 24 * (i / 2), 83, 20}});
    signatures.push_back({"applicant_signature", "申请人签字（手写）", {20, 152, 100, 36}});
    signatures.push_back({"clerk_signature", "经办人签字", {20, 192, 100, 28}});
    seals.push_back({"office_seal", "经办机构（盖章）", {126, 152, 64, 68}});
  }
};

struct EnrolmentChangeLayout {
  std::vector<TableRow> fields;
  std::vector<LabelledBox> signatures, seals;
  BoxMm barcode{14, 8, 82, 30};
  static constexpr double kTableTop = 60, kRowMm = 13, kLabelRight = 62;
  EnrolmentChangeLayout() {
    const char* names[][2] = {{"name", "姓名"},
                              {"citizen_id", "公民身份号码"},
                              {"insured_number", "个人社保编号"},
                              {"change_item", "变更项目"},
                              {"value_before", "变更前内容"},
                              {"value_after", "变更后内容"},
                              {"change_reason", "变更原因"},
                              {"phone", "联系电话"}};
    for (int i = 0; i < 8; ++i)
      fields.push_back({names[i][0], names[i][1], {kLabelRight, kTableTop + kRowMm * i, 190 - kLabelRight, kRowMm}});
    signatures.push_back({"applicant_signature", "申请人签名", {20, 172, 90, 34}});
    signatures.push_back({"clerk_signature", "受理人签名", {20, 210, 90, 24}});
    seals.push_back({"office_seal", "经办机构业务专用章", {116, 172, 74, 62}});
  }
};

const PensionClaimLayout& Pension() {
  static const PensionClaimLayout layout;
  return layout;
}
const EnrolmentChangeLayout& Enrolment() {
  static const EnrolmentChangeLayout layout;
  return layout;
}

void Outline(cv::Mat& page, const Sheet& sheet, const BoxMm& b, double stroke_mm) {
  const cv::Point tl = sheet.At(b.x, b.y), br = sheet.At(b.x + b.width, b.y + b.height);
  Rule(page, tl, {br.x, tl.y}, sheet, stroke_mm);
  Rule(page, {tl.x, br.y}, br, sheet, stroke_mm);
  Rule(page, tl, {tl.x, br.y}, sheet, stroke_mm);
  Rule(page, {br.x, tl.y}, br, sheet, stroke_mm);
}

// Chinese text with its em box's top-left at (x_mm, y_mm).
void Text(cv::Mat& page, const Sheet& sheet, const std::string& text, double x_mm, double y_mm,
          double size_mm) {
  PrintChinese(page, text, sheet.At(x_mm, y_mm), std::max(6, sheet.Px(size_mm)), kToner);
}
void TextRight(cv::Mat& page, const Sheet& sheet, const std::string& text, double right_mm,
               double y_mm, double size_mm) {
  const int h = std::max(6, sheet.Px(size_mm));
  PrintChinese(page, text, {sheet.Px(right_mm) - ChineseWidth(text, h), sheet.Px(y_mm)}, h, kToner);
}
void TextCentred(cv::Mat& page, const Sheet& sheet, const std::string& text, double centre_mm,
                 double y_mm, double size_mm) {
  const int h = std::max(6, sheet.Px(size_mm));
  PrintChinese(page, text, {sheet.Px(centre_mm) - ChineseWidth(text, h) / 2, sheet.Px(y_mm)}, h,
               kToner);
}

void LabelBox(cv::Mat& page, const Sheet& sheet, const LabelledBox& b) {
  Outline(page, sheet, b.box, kBoxStrokeMm);
  Text(page, sheet, b.label, b.box.x + kInsetMm + 0.3, b.box.y + 1.3, 3.6);
}

void BlankPension(cv::Mat& page, const Sheet& sheet) {
  const PensionClaimLayout& l = Pension();
  Text(page, sheet, "江东市社会保险事业管理中心", 20, 10, 3.6);
  Text(page, sheet, "养老保险待遇申领业务受理单", 20, 20, 7);
  Text(page, sheet, "（第一联　业务档案联）", 20, 30.5, 4);
  Rule(page, sheet.At(20, 40), sheet.At(190, 40), sheet, 0.5);
  Text(page, sheet, "业务类型：养老保险待遇申领", 20, 43.5, 3.6);
  TextRight(page, sheet, "受理窗口：综合柜员制窗口", 190, 43.5, 3.6);
  for (const LabelledBox& b : l.fields) LabelBox(page, sheet, b);
  for (const LabelledBox& b : l.signatures) LabelBox(page, sheet, b);
  for (const LabelledBox& b : l.seals) LabelBox(page, sheet, b);
  Text(page, sheet, "受理日期：　　　　年　　月　　日", 126, 224.5, 3.6);
  Text(page, sheet, "注：", 20, 232, 3.4);
  const char* notes[] = {"1. 申请人对所填信息及所附证明材料的真实性负责。",
                         "2. 本受理单须由申请人本人签字，经办人签字并加盖经办机构印章。",
                         "3. 本受理单与扫描材料合为一卷归档，请勿拆分。"};
  for (int i = 0; i < 3; ++i) Text(page, sheet, notes[i], 27, 232 + 5.6 * i, 3.4);
  Rule(page, sheet.At(20, 268), sheet.At(190, 268), sheet, 0.2);
  Text(page, sheet, "社会保险经办机构制", 20, 271, 3.2);
  TextRight(page, sheet, "第 1 页　共 1 页", 190, 271, 3.2);
}

void BlankEnrolment(cv::Mat& page, const Sheet& sheet) {
  const EnrolmentChangeLayout& l = Enrolment();
  TextRight(page, sheet, "江东市社会保险事业管理中心", 190, 12, 3.6);
  TextRight(page, sheet, "编号：参保-03", 190, 18, 3.2);
  TextCentred(page, sheet, "参保人员信息变更登记受理单", 105, 42, 7);
  Rule(page, sheet.At(20, 53), sheet.At(190, 53), sheet, 0.6);
  Rule(page, sheet.At(20, 54.6), sheet.At(190, 54.6), sheet, 0.2);
  const double top = l.kTableTop, bottom = top + l.kRowMm * l.fields.size();
  for (std::size_t i = 0; i <= l.fields.size(); ++i)
    Rule(page, sheet.At(20, top + l.kRowMm * i), sheet.At(190, top + l.kRowMm * i), sheet, 0.3);
  for (double x : {20.0, l.kLabelRight, 190.0})
    Rule(page, sheet.At(x, top), sheet.At(x, bottom), sheet, 0.3);
  for (const TableRow& r : l.fields) Text(page, sheet, r.label, 23, r.cell.y + 4.5, 4);
  for (const LabelledBox& b : l.signatures) LabelBox(page, sheet, b);
  for (const LabelledBox& b : l.seals) LabelBox(page, sheet, b);
  Text(page, sheet, "说明：", 20, 242, 3.4);
  const char* notes[] = {"变更事项以参保人提供的有效证件为准；变更前后内容须填写完整。",
                         "申请人签名、受理人签名和业务专用章缺一不可。"};
  for (int i = 0; i < 2; ++i) Text(page, sheet, notes[i], 30, 242 + 5.6 * i, 3.4);
  Rule(page, sheet.At(20, 268), sheet.At(190, 268), sheet, 0.2);
  Text(page, sheet, "本单一式一份，随业务材料扫描归档", 20, 271, 3.2);
}

FormDesign Design(const std::string& name) {
  FormDesign d;
  d.name = name;
  auto add = [](std::vector<FormZoneMm>& out, const auto& boxes) {
    for (const auto& b : boxes) out.push_back({b.name, b.label, b.Writing()});
  };
  if (name == "pension-claim") {
    add(d.fields, Pension().fields);
    add(d.signatures, Pension().signatures);
    add(d.seals, Pension().seals);
    d.barcode = Pension().barcode;
  } else {
    add(d.fields, Enrolment().fields);
    add(d.signatures, Enrolment().signatures);
    add(d.seals, Enrolment().seals);
    d.barcode = Enrolment().barcode;
  }
  return d;
}

std::string Mm(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

}  // namespace

void PrintChinese(cv::Mat& page, const std::string& text, cv::Point origin, int height_px,
                  cv::Scalar ink) {
  if (page.channels() == 3) {
    Font().putText(page, text, origin, height_px, ink, -1, cv::LINE_AA, false);
    return;
  }
  // OpenCV 4.6's FreeType draws on BGR only: draw on a BGR copy of the area.
  const cv::Rect area = cv::Rect(origin - cv::Point(height_px, height_px),
                                 cv::Size(ChineseWidth(text, height_px) + 3 * height_px, 4 * height_px)) &
                        cv::Rect(0, 0, page.cols, page.rows);
  if (area.empty()) return;
  cv::Mat patch;
  cv::cvtColor(page(area), patch, cv::COLOR_GRAY2BGR);
  Font().putText(patch, text, origin - area.tl(), height_px, cv::Scalar::all(ink[0]), -1,
                 cv::LINE_AA, false);
  cv::Mat gray;
  cv::cvtColor(patch, gray, cv::COLOR_BGR2GRAY);
  gray.copyTo(page(area));
}

int ChineseWidth(const std::string& text, int height_px) {
  int baseline = 0;
  return Font().getTextSize(text, height_px, -1, &baseline).width;
}

const std::vector<FormDesign>& BundledForms() {
  static const std::vector<FormDesign> forms = {Design("pension-claim"),
                                                Design("enrolment-change")};
  return forms;
}

const FormDesign& BundledForm(const std::string& name) {
  for (const FormDesign& f : BundledForms())
    if (f.name == name) return f;
  throw std::invalid_argument("no bundled form " + name);
}

cv::Mat BlankForm(const FormDesign& form, double dpi) {
  const Sheet sheet(dpi);
  cv::Mat page = sheet.Blank(form.width_mm, form.height_mm, CV_8UC1);
  if (form.name == "pension-claim") BlankPension(page, sheet);
  else BlankEnrolment(page, sheet);
  return page;
}

cv::Mat PrintedForm(const FormDesign& form, double dpi, const std::string& transaction) {
  const Sheet sheet(dpi);
  cv::Mat gray = BlankForm(form, dpi), page;
  cv::cvtColor(gray, page, cv::COLOR_GRAY2BGR);
  const double module_px = std::max(1.0, std::round(kModuleMm * sheet.px_per_mm));
  const int modules = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::Code128)
                          .setMargin(0)
                          .encode(transaction, 0, 1)
                          .width();
  const int bars_px = cvRound(modules * module_px);
  const BoxMm& z = form.barcode;
  // Centred in the barcode zone, as the business system's template places it.
  const int left = sheet.Px(z.x + z.width / 2) - bars_px / 2;
  DrawCode128(page, transaction, {left, sheet.Px(z.y + 4)}, module_px, sheet.Px(kBarsHeightMm));
  const Typeface digits = MakeTypeface(sheet, cv::FONT_HERSHEY_SIMPLEX, 3.0, 0.25);
  PrintCentred(page, transaction, left + bars_px / 2, sheet.Px(z.y + 4 + kBarsHeightMm + 4.5), digits);
  return page;
}

std::string FormTextproto(const FormDesign& form, const std::string& template_image) {
  std::string out = "form {\n  width_mm: " + Mm(form.width_mm) + "\n  height_mm: " +
                    Mm(form.height_mm) + "\n  template_image: \"" + template_image + "\"\n";
  auto zone = [&](const char* kind, const std::string& name, const std::string& label,
                  const BoxMm& b) {
    out += std::string("  ") + kind + " { name: \"" + name + "\" label: \"" + label +
           "\" x_mm: " + Mm(b.x) + " y_mm: " + Mm(b.y) + " width_mm: " + Mm(b.width) +
           " height_mm: " + Mm(b.height) + " }\n";
  };
  for (const FormZoneMm& z : form.fields) zone("fields", z.name, z.label, z.area);
  for (const FormZoneMm& z : form.signatures) zone("signatures", z.name, z.label, z.area);
  for (const FormZoneMm& z : form.seals) zone("seals", z.name, z.label, z.area);
  zone("barcode", "transaction_barcode", "业务流水号", form.barcode);
  out += "}\n";
  return out;
}

}  // namespace scangate::synth
